import { describe, expect, it } from "vitest";

import { parseConfigFile } from "../../src/config/yaml.js";

/** Syntax errors, each with where it is reported and the start of its message. */
const CASES: { name: string; text: string; line: number; column: number; message: string }[] = [
  { name: "unclosed flow sequence", text: "a: 1\nb: [x, y\nc: 2\n", line: 2, column: 4, message: "unclosed flow sequence: this [ has no matching ]; close it with ]" },
  { name: "unclosed flow map", text: "a: {x: 1\nb: 2\n", line: 1, column: 4, message: "unclosed flow map: this { has no matching }; close it with }" },
  { name: "map inside a sequence", text: "p: [q, {r: s]\n", line: 1, column: 8, message: "unclosed flow map: this { has no matching }" },
  { name: "unclosed double quote", text: 'a: x\nb: "y\nc: 1\n', line: 2, column: 4, message: 'unclosed double-quoted string: this " has no closing "' },
  { name: "unclosed single quote", text: "a: 'y\nc: 1\n", line: 1, column: 4, message: "unclosed single-quoted string: this ' has no closing '" },
  { name: "misaligned key", text: "a:\n  b: 1\n c: 2\n", line: 3, column: 1, message: "keys of one mapping must start at the same column" },
  { name: "tab indentation", text: "a:\n\tb: 1\n", line: 2, column: 1, message: "tab used for indentation" },
  { name: "reserved first character", text: "k: @v\n", line: 1, column: 4, message: "an unquoted value cannot start with reserved character @; put the value in quotes" },
  { name: "mapping as a value", text: "m: n: o\n", line: 1, column: 4, message: "a value on the same line as its key cannot start another mapping" },
];

describe("YAML syntax errors", () => {
  it.each(CASES)("reports $name", ({ text, line, column, message }) => {
    const { diagnostics, documents } = parseConfigFile({ file: "broken.yaml", text });

    expect(documents).toEqual([]);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ file: "broken.yaml", line, column, severity: "error", code: "yaml-syntax" });
    expect(diagnostics[0]?.message).toContain(message);
  });

  it("reports only the first error of a document", () => {
    const { diagnostics } = parseConfigFile({ file: "broken.yaml", text: "a: [1, 2\nb: {x\nc: 'd\n" });

    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ line: 1, column: 4 });
  });

  it("reports each broken document once", () => {
    const { diagnostics, documents } = parseConfigFile({ file: "broken.yaml", text: "a: [1\nb: 2\n---\nok: 1\n---\n- a\nb: 1\n" });

    expect(documents.map((document) => document.value)).toEqual([{ ok: 1 }]);
    expect(diagnostics.map((diagnostic) => diagnostic.line)).toEqual([1, 7]);
  });
});
