import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { createTokenOctokit } from "../../src/github/client.js";
import { COMMENT_MARKER_PREFIX, upsertPlanComment } from "../../src/github/comment.js";
import type { GitHost } from "../../src/github/host.js";
import type { MarkdownBlock } from "../../src/github/markdown.js";
import { createOctokitHost } from "../../src/github/octokit-host.js";
import type { FakeGithub } from "../support/fake-github.js";
import { startFakeGithub } from "../support/fake-github.js";
import { REPOSITORY } from "./fixtures.js";

const TOKEN = "ghp_comment_token";
let fake: FakeGithub;
let host: GitHost;

beforeEach(async () => {
  fake = await startFakeGithub({ tokens: [TOKEN] });
  host = createOctokitHost(createTokenOctokit(fake.url, TOKEN, pino({ level: "silent" })), { owner: "acme", repo: "identities" });
});

afterEach(async () => {
  await fake.close();
});

function planBlocks(lines: number): MarkdownBlock[] {
  return [
    { kind: "markdown", lines: ["Counts."] },
    { kind: "collapsible", summary: "Full plan", lines: Array.from({ length: lines }, (_, index) => `+ create role/wid-identity-${index} (aws-prod): the identity is not installed yet`) },
  ];
}

function planComments() {
  return fake.comments.filter((comment) => comment.issue === 5 && comment.body.startsWith(COMMENT_MARKER_PREFIX));
}

describe("upsertPlanComment", () => {
  it("splits a long plan and shrinks it again", async () => {
    const quoted = fake.addComment(REPOSITORY, 5, `${COMMENT_MARKER_PREFIX}1 -->\nquoted by a person`, { login: "reviewer", type: "User" });

    const long = await upsertPlanComment(host, 5, "Plan: 2000 to create", planBlocks(2000));

    expect(long).toMatchObject({ created: 3, updated: 0, deleted: 0 });
    expect(fake.requestsTo("POST", /\/issues\/5\/comments$/).map((request) => request.status)).toEqual([201, 201, 201]);
    const parts = planComments().filter((comment) => comment.user.type === "Bot");
    expect(parts.map((comment) => comment.body.split("\n")[1])).toEqual([
      "### wid: Plan: 2000 to create (part 1 of 3)",
      "### wid: Plan: 2000 to create (part 2 of 3)",
      "### wid: Plan: 2000 to create (part 3 of 3)",
    ]);
    for (const part of parts) expect(part.body.length).toBeLessThanOrEqual(65_536);
    const lines = parts.flatMap((part) => part.body.split("\n")).filter((line) => line.startsWith("+ create role/"));
    expect(lines).toHaveLength(2000);

    const short = await upsertPlanComment(host, 5, "Plan: 10 to create", planBlocks(10));

    expect(short).toMatchObject({ created: 0, updated: 1, deleted: 2, ids: [long.ids[0]] });
    const remaining = planComments().filter((comment) => comment.user.type === "Bot");
    expect(remaining.map((comment) => comment.id)).toEqual([long.ids[0]]);
    expect(remaining[0]?.body.split("\n")[1]).toBe("### wid: Plan: 10 to create");
    expect(fake.comments.find((comment) => comment.id === quoted.id)?.body).toBe(`${COMMENT_MARKER_PREFIX}1 -->\nquoted by a person`);
  });

  it("writes nothing when the plan is unchanged", async () => {
    await upsertPlanComment(host, 5, "Plan: 3 to create", planBlocks(3));
    const writes = fake.requests.filter((request) => request.method !== "GET").length;

    const again = await upsertPlanComment(host, 5, "Plan: 3 to create", planBlocks(3));

    expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 1, deleted: 0 });
    expect(fake.requests.filter((request) => request.method !== "GET").length).toBe(writes);
  });

  it("finds its comment past the first page", async () => {
    for (let i = 0; i < 130; i++) fake.addComment(REPOSITORY, 5, `discussion ${i}`, { login: "reviewer", type: "User" });
    const first = await upsertPlanComment(host, 5, "Plan: 3 to create", planBlocks(3));

    const second = await upsertPlanComment(host, 5, "Plan: 4 to create", planBlocks(4));

    expect(second).toMatchObject({ created: 0, updated: 1, ids: first.ids });
    expect(fake.requestsTo("GET", /\/issues\/5\/comments$/).length).toBe(4);
  });
});
