import { cp, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { loadConfig } from "../../src/config/load.js";
import { runCli } from "../support/cli.js";

const EXAMPLE = path.resolve("examples/config-repo");

/** Workloads whose explanation is pinned: a shadowing pair, two providers, matchAllTags, a pending identity. */
const EXPLAINED = ["shop/api", "shop/order-worker", "analytics/nightly-report", "platform/audit-collector"];

// A copy outside any git repository, so that the plan's revision is null and stable.
let root = "";
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "wid-example-"));
  await cp(EXAMPLE, root, { recursive: true });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Fails when output would leak a host path into a pinned fixture. */
function expectNoHostPaths(output: string): void {
  expect(output).not.toContain(root);
  expect(output).not.toContain(os.tmpdir());
  expect(output).not.toContain(process.cwd());
}

describe("example repository", () => {
  it("validates without diagnostics", async () => {
    const { diagnostics, model } = await loadConfig(EXAMPLE);

    expect(diagnostics).toEqual([]);
    expect(model.identities.size).toBe(7);
    expect(model.workloads.size).toBeGreaterThanOrEqual(8);
    expect(new Set([...model.workloads.values()].map((workload) => workload.project)).size).toBeGreaterThanOrEqual(3);
    expect([...model.integrations.values()].map((integration) => integration.provider).sort()).toEqual(["aws", "gcp"]);
  });

  it("covers the selection rules", async () => {
    const { model } = await loadConfig(EXAMPLE);
    const identities = [...model.identities.values()];

    expect(identities.filter((identity) => !identity.install).map((identity) => identity.name)).toEqual(["aws-audit-reader"]);
    expect(identities.filter((identity) => identity.scope.matchAllTags).map((identity) => identity.name)).toEqual(["aws-reports-writer"]);
  });

  it("validates from the CLI", async () => {
    const result = await runCli(["validate", "."], { cwd: root });

    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe("Valid: 7 valid identities, 9 workloads, 2 integrations; 0 warning(s).\n");
  });

  it.each(EXPLAINED)("pins explain of %s", async (workload) => {
    const result = await runCli(["explain", ".", "--workload", workload, "--format", "json"], { cwd: root });

    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expectNoHostPaths(result.stdout);
    await expect(result.stdout).toMatchFileSnapshot(`fixtures/example-explain-${workload.replace("/", "-")}.json`);
  });

  it("pins the offline plan", async () => {
    const result = await runCli(["plan", ".", "--offline", "--format", "json"], { cwd: root });

    expect(result.code).toBe(2);
    expect(result.stderr).toBe("wid: note: status file .wid/status.yaml not found, so every identity is planned as new, as on a first run\n");
    expectNoHostPaths(result.stdout);
    await expect(result.stdout).toMatchFileSnapshot("fixtures/example-plan-offline.json");
  });

  it("pins the offline plan text", async () => {
    const result = await runCli(["plan", ".", "--offline"], { cwd: root });

    expect(result.code).toBe(2);
    expectNoHostPaths(result.stdout);
    await expect(result.stdout).toMatchFileSnapshot("fixtures/example-plan-offline.txt");
  });
});
