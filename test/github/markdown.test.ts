import { describe, expect, it } from "vitest";

import { commentBodies } from "../../src/github/comment.js";
import type { MarkdownBlock } from "../../src/github/markdown.js";
import { clampText, escapeMarkdown, inlineCode, paginateMarkdown, renderMarkdown, textSize, truncateMarkdown } from "../../src/github/markdown.js";

function plan(lines: number, width = 80): MarkdownBlock[] {
  return [
    { kind: "markdown", lines: ["# Report", "", "Some counts."] },
    { kind: "collapsible", summary: "Full plan", lines: Array.from({ length: lines }, (_, index) => `${String(index).padStart(6, "0")} ${"x".repeat(width)}`) },
  ];
}

function balanced(page: string): boolean {
  const fences = page.split("\n").filter((line) => line.startsWith("```")).length;
  return fences % 2 === 0 && page.split("<details>").length === page.split("</details>").length;
}

describe("paginateMarkdown", () => {
  it("keeps a small document whole", () => {
    const pages = paginateMarkdown(plan(3), 10_000);

    expect(pages).toHaveLength(1);
    expect(pages[0]).toBe(renderMarkdown(plan(3)));
    expect(pages[0]).toContain("<details><summary>Full plan</summary>\n\n```text\n000000 ");
    expect(pages[0]?.endsWith("```\n\n</details>")).toBe(true);
  });

  it("splits inside a collapsible block", () => {
    const pages = paginateMarkdown(plan(2000), 20_000);

    expect(pages.length).toBeGreaterThan(8);
    for (const page of pages) {
      expect(textSize(page)).toBeLessThanOrEqual(20_000);
      expect(balanced(page)).toBe(true);
    }
    expect(pages[1]?.startsWith("<details><summary>Full plan (continued)</summary>")).toBe(true);
    const lines = pages.flatMap((page) => page.split("\n")).filter((line) => /^\d{6} /.test(line));
    expect(lines).toHaveLength(2000);
  });

  it("cuts a line longer than a page", () => {
    const pages = paginateMarkdown([{ kind: "markdown", lines: ["é".repeat(5000)] }], 1001);

    expect(pages.length).toBe(10);
    for (const page of pages) expect(textSize(page)).toBeLessThanOrEqual(1001);
    expect(pages.join("")).toBe("é".repeat(5000));
  });

  it("uses a fence longer than any backtick run", () => {
    const page = renderMarkdown([{ kind: "collapsible", summary: "Plan", lines: ["a ```` b"] }]);

    expect(page).toContain("\n`````text\na ```` b\n`````\n");
  });
});

describe("truncateMarkdown", () => {
  it("cuts at the limit and appends the note", () => {
    const text = truncateMarkdown(plan(5000), 65_535, "_cut_");

    expect(textSize(text)).toBeLessThanOrEqual(65_535);
    expect(textSize(text)).toBeGreaterThan(65_000);
    expect(text.endsWith("\n\n_cut_")).toBe(true);
    expect(balanced(text)).toBe(true);
  });

  it("leaves text within the limit alone", () => {
    expect(truncateMarkdown(plan(10), 65_535, "_cut_")).toBe(renderMarkdown(plan(10)));
  });
});

describe("commentBodies", () => {
  it("numbers the parts of a long plan", () => {
    const bodies = commentBodies("Plan: 1 to create", plan(3000));

    expect(bodies.length).toBe(5);
    bodies.forEach((body, index) => {
      expect(body.startsWith(`<!-- wid:plan-comment part=${index + 1} -->\n### wid: Plan: 1 to create (part ${index + 1} of 5)\n`)).toBe(true);
      expect(body.length).toBeLessThanOrEqual(65_536);
      expect(balanced(body)).toBe(true);
    });
  });
});

describe("escaping", () => {
  it("keeps table cells in one cell", () => {
    expect(inlineCode("a|b")).toBe("`a\\|b`");
    expect(inlineCode("`x`")).toBe("`` `x` ``");
    expect(escapeMarkdown("<script>|*x*")).toBe("&lt;script&gt;\\|\\*x\\*");
  });

  it("clamps text by bytes", () => {
    expect(clampText("abcdef", 4)).toBe("a…");
    expect(clampText("abc", 4)).toBe("abc");
  });
});
