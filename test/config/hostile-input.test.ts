import { afterAll, describe, expect, it } from "vitest";

import { MAX_NESTING_DEPTH } from "../../src/config/depth.js";
import { MAX_DIAGNOSTICS_PER_DOCUMENT } from "../../src/config/documents.js";
import { loadConfig } from "../../src/config/load.js";
import { MAX_QUOTED_CHARACTERS, quote } from "../../src/config/quote.js";
import { runCli } from "../support/cli.js";
import { removeRepos, writeRepo } from "../support/repo.js";

/**
 * Documents written to break the loader: deep nesting in YAML and in a policy's JSON
 * string, huge strings and keys, and mappings with many keys. loadConfig must turn each
 * into diagnostics and never throw, and the file's identity must stay named or the
 * file must count as unreadable.
 */

afterAll(removeRepos);

const FILE = "identities/hostile.yaml";

/** Returns an AWS identity whose policy is `policy`, written after `policy: ` on one line. */
function identityWithPolicy(policy: string): string {
  return `apiVersion: wid/v1\nkind: WorkloadIdentity\nmetadata:\n  name: hostile\nspec:\n  provider: aws\n  integration: aws-prod\n  install: true\n  scope:\n    projects: "*"\n  aws:\n    policy: ${policy}\n`;
}

/** Returns a policy in YAML flow form whose condition value is `value`. */
function flowPolicy(value: string): string {
  return `{ Version: "2012-10-17", Statement: [{ Effect: Allow, Action: s3:GetObject, Resource: "*", Condition: { StringEquals: { "aws:username": ${value} } } }] }`;
}

/** Returns the same policy as a JSON string in single quotes. */
function jsonPolicy(value: string): string {
  return `'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:username":${value}}}}]}'`;
}

/** `levels` nested lists around a string. The condition value starts at level 9 of the document. */
function nestedLists(levels: number): string {
  return `${"[".repeat(levels)}"x"${"]".repeat(levels)}`;
}

async function load(text: string): Promise<Awaited<ReturnType<typeof loadConfig>>> {
  return loadConfig(await writeRepo({ [FILE]: text }));
}

function codesOf(diagnostics: readonly { file: string; code: string }[]): string[] {
  return diagnostics.filter((diagnostic) => diagnostic.file === FILE).map((diagnostic) => diagnostic.code);
}

describe("nesting depth", () => {
  // The condition value's lists are levels 9 and deeper, so 56 lists reach the limit.
  const deepestAllowed = MAX_NESTING_DEPTH - 8;

  it.each([
    ["YAML", flowPolicy],
    ["JSON string", jsonPolicy],
  ])("allows %s policies up to the limit", async (_, form) => {
    const { diagnostics } = await load(identityWithPolicy(form(nestedLists(deepestAllowed))));

    expect(codesOf(diagnostics)).not.toContain("nesting-depth");
  });

  it.each([
    ["YAML", flowPolicy, deepestAllowed + 1],
    ["YAML", flowPolicy, 300],
    ["JSON string", jsonPolicy, deepestAllowed + 1],
    ["JSON string", jsonPolicy, 2_000],
    ["JSON string", jsonPolicy, 100_000],
  ])("reports a %s policy nested %s lists deep at the policy", async (_, form, levels) => {
    const { diagnostics, model } = await load(identityWithPolicy(form(nestedLists(levels))));

    const error = diagnostics.find((diagnostic) => diagnostic.code === "nesting-depth");
    expect(error).toMatchObject({ file: FILE, line: 12, column: 13, severity: "error", field: "spec.aws.policy" });
    expect(error?.message).toContain(`more than ${MAX_NESTING_DEPTH} levels deep`);
    expect([...model.invalidIdentities.keys()]).toEqual(["hostile"]);
  });

  it.each([
    ["flow lists", (levels: number) => `apiVersion: wid/v1\nkind: WorkloadIdentity\nmetadata: ${nestedLists(levels)}\n`],
    ["flow mappings", (levels: number) => `apiVersion: wid/v1\nkind: WorkloadIdentity\nmetadata: ${"{a: ".repeat(levels)}1${"}".repeat(levels)}\n`],
    ["block lists", (levels: number) => `apiVersion: wid/v1\nkind: WorkloadIdentity\nmetadata:\n  ${"- ".repeat(levels)}x\n`],
    ["lists without a kind", (levels: number) => `spec: ${nestedLists(levels)}\n`],
  ])("reports a document of deep %s as unreadable", async (_, document) => {
    for (const levels of [100, 5_000, 200_000]) {
      const { diagnostics, model } = await load(document(levels));

      expect(codesOf(diagnostics), `${levels} levels`).toContain("nesting-depth");
      expect(model.unreadableFiles, `${levels} levels`).toEqual([FILE]);
    }
  });

  it("reports nesting built from aliases", async () => {
    // Five aliases of 20 levels each give 100 levels in a few lines, within the alias limit.
    const anchors = Array.from({ length: 5 }, (_, index) => `a${index + 1}: &a${index + 1} ${nestedLists(20).replace('"x"', `*a${index}`)}`);
    const { diagnostics, model } = await load(`apiVersion: wid/v1\nkind: WorkloadIdentity\nmetadata:\n  a0: &a0 x\n${anchors.map((line) => `  ${line}`).join("\n")}\n`);

    expect(codesOf(diagnostics)).toContain("nesting-depth");
    expect(model.unreadableFiles).toEqual([FILE]);
  });
});

describe("recursive aliases", () => {
  it("reports an alias of its own ancestor", async () => {
    const { diagnostics, model } = await load("apiVersion: wid/v1\nkind: WorkloadIdentity\nmetadata: &m { name: hostile, self: *m }\n");

    expect(codesOf(diagnostics)).toContain("nesting-depth");
    expect([...model.invalidIdentities.keys()]).toEqual(["hostile"]);
  });
});

describe("huge values", () => {
  it("cuts a 900 KB value in the message", async () => {
    const huge = "x".repeat(900_000);
    const { diagnostics } = await load(identityWithPolicy(`{ Version: "2012-10-17", Statement: [{ Effect: Allow, Action: s3:GetObject, Resource: "${huge}" }] }`));

    const error = diagnostics.find((diagnostic) => diagnostic.code === "aws-policy-resource");
    expect(error?.message.length).toBeLessThan(400);
    expect(error?.message).toContain(`"${"x".repeat(MAX_QUOTED_CHARACTERS)}…"`);
    expect(diagnostics.every((diagnostic) => diagnostic.message.length < 1_000)).toBe(true);
  });

  it("cuts a 900 KB key in the field", async () => {
    const key = "K".repeat(900_000);
    const { diagnostics } = await load(identityWithPolicy(`{ Version: "2012-10-17", ${key}: 1, Statement: [{ Effect: Allow, Action: s3:GetObject, Resource: "*" }] }`));

    const error = diagnostics.find((diagnostic) => diagnostic.code === "aws-policy-unknown-field");
    expect(error?.field).toBe(`spec.aws.policy.${"K".repeat(MAX_QUOTED_CHARACTERS)}…`);
    expect(diagnostics.every((diagnostic) => diagnostic.message.length < 1_000)).toBe(true);
  });

  it("cuts a huge apiVersion, kind and JSON error", async () => {
    const huge = "v".repeat(500_000);
    for (const text of [`apiVersion: ${huge}\nkind: Workload\n`, `apiVersion: wid/v1\nkind: ${huge}\n`, identityWithPolicy(`'{"Version": ${huge}}'`)]) {
      const { diagnostics } = await load(text);

      expect(codesOf(diagnostics).length).toBeGreaterThan(0);
      expect(diagnostics.every((diagnostic) => diagnostic.message.length < 1_000)).toBe(true);
    }
  });
});

describe("many keys", () => {
  it.each([
    ["a flow mapping", (keys: string[]) => `apiVersion: wid/v1\nkind: Workload\nmetadata: { ${keys.map((key) => `${key}: 1`).join(", ")} }\n`],
    ["a block mapping with an anchor", (keys: string[]) => `apiVersion: wid/v1\nkind: Workload\nmetadata: &m\n${keys.map((key) => `  ${key}: 1`).join("\n")}\n`],
    ["a policy condition", (keys: string[]) => identityWithPolicy(flowPolicy("x").replace('"aws:username": x', keys.map((key) => `${key}: 1`).join(", ")))],
  ])("limits the diagnostics of %s", async (_, document) => {
    const keys = Array.from({ length: 50_000 }, (_, index) => `k${index}`);
    const { diagnostics } = await load(document(keys));

    const own = diagnostics.filter((diagnostic) => diagnostic.file === FILE);
    expect(own.length).toBeLessThanOrEqual(MAX_DIAGNOSTICS_PER_DOCUMENT + 1);
    expect(own.find((diagnostic) => diagnostic.code === "document-diagnostics-limit")?.message).toMatch(/^document has \d+ more problems that are not shown/);
  });

  it("finds a duplicate among many keys", async () => {
    const keys = Array.from({ length: 50_000 }, (_, index) => `  k${index}: 1`);
    keys.push("  k7: 2");
    const { diagnostics } = await load(`apiVersion: wid/v1\nkind: Workload\nmetadata: &m\n${keys.join("\n")}\n`);

    expect(diagnostics.find((diagnostic) => diagnostic.code === "yaml-duplicate-key")).toMatchObject({ file: FILE, line: 50_004, column: 3 });
  });

  it("finds a duplicate key in a JSON policy", async () => {
    const { diagnostics } = await load(identityWithPolicy(`'{"Version":"2012-10-17","Version":"2012-10-17","Statement":[]}'`));

    expect(codesOf(diagnostics)).toContain("aws-policy-duplicate-key");
  });
});

describe("validate", () => {
  it("reports a deep JSON policy without a stack trace", async () => {
    const root = await writeRepo({ [FILE]: identityWithPolicy(jsonPolicy(nestedLists(20_000))) });

    const result = await runCli(["validate", root]);

    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`${FILE}:12:13: error: spec.aws.policy: nests mappings and lists more than ${MAX_NESTING_DEPTH} levels deep`);
    expect(result.stderr).not.toContain("Maximum call stack");
    expect(result.stdout).not.toContain("Maximum call stack");
  });
});

describe("quote", () => {
  it("keeps short values whole", () => {
    expect(quote("s3:GetObject")).toBe('"s3:GetObject"');
    expect(quote("s3:GetObject", { json: false })).toBe("s3:GetObject");
    expect(quote(42)).toBe("42");
    expect(quote(undefined)).toBe("undefined");
  });

  it("cuts long values with an ellipsis", () => {
    expect(quote("a".repeat(500))).toBe(`"${"a".repeat(MAX_QUOTED_CHARACTERS)}…"`);
    expect(quote("a".repeat(500), { json: false })).toBe(`${"a".repeat(MAX_QUOTED_CHARACTERS)}…`);
    expect(quote(["a".repeat(500)])).toBe(`${`["${"a".repeat(500)}`.slice(0, MAX_QUOTED_CHARACTERS)}…`);
  });

  it("never splits a surrogate pair", () => {
    const text = `${"a".repeat(MAX_QUOTED_CHARACTERS - 1)}😀tail`;

    expect(quote(text, { json: false })).toBe(`${"a".repeat(MAX_QUOTED_CHARACTERS - 1)}…`);
  });
});
