import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";

import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { createTokenOctokit } from "../../src/github/client.js";
import { createOctokitHost } from "../../src/github/octokit-host.js";
import type { Planner } from "../../src/github/planner.js";
import { offlinePlanner } from "../../src/github/planner.js";
import { TRUNCATED_NOTE } from "../../src/github/report.js";
import { runPlanCheck } from "../../src/github/run-check.js";
import { rolePolicyResource } from "../../src/providers/aws/resources.js";
import type { FakeGithub } from "../support/fake-github.js";
import { startFakeGithub } from "../support/fake-github.js";
import { awsIdentity, exampleFiles, installedStatus, lineOf, REPOSITORY } from "./fixtures.js";

const TOKEN = "ghp_run_check_token_abcdef";
const SHOP_ASSETS = "identities/aws-shop-assets.yaml";

let fake: FakeGithub;
let folder: string;
let logLines: string[];

beforeEach(async () => {
  fake = await startFakeGithub({ tokens: [TOKEN] });
  folder = mkdtempSync(path.join(tmpdir(), "wid-run-check-"));
  logLines = [];
});

afterEach(async () => {
  await fake.close();
  rmSync(folder, { recursive: true, force: true });
});

function logger() {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(...chunk.toString().split("\n").filter((line) => line !== ""));
      done();
    },
  });
  return pino({ level: "debug" }, stream);
}

/** Writes files (paths relative to the config folder) and returns the config folder. */
function writeConfig(files: Record<string, string>): string {
  for (const [file, content] of Object.entries(files)) {
    const target = path.join(folder, file);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  return folder;
}

/** Reads the example config with paths relative to its own folder. */
function exampleConfig(): Record<string, string> {
  return Object.fromEntries(Object.entries(exampleFiles()).map(([file, content]) => [file.slice("config/".length), content]));
}

async function check(root: string, planner: Planner, options: { offlineReason?: string | null; comment?: boolean; prepare?: () => Promise<never> } = {}) {
  const headSha = fake.commit(REPOSITORY, {});
  const log = logger();
  const host = createOctokitHost(createTokenOctokit(fake.url, TOKEN, log), { owner: "acme", repo: "identities" });
  return runPlanCheck({
    host,
    logger: log,
    name: "wid plan",
    headSha,
    pullRequest: 12,
    comment: options.comment ?? false,
    planner,
    offlineReason: options.offlineReason ?? null,
    prepare: options.prepare ?? (() => Promise.resolve({ root, pathPrefix: "config" })),
  });
}

/**
 * Replaces the cloud-reading planner: returns the offline plan, marked online, with the
 * structured diff that reading the installed policy gives.
 */
const onlinePlanner: Planner = async (input) => {
  const { plan } = await offlinePlanner(input);
  for (const change of plan.changes) {
    if (change.resource === rolePolicyResource("wid-aws-shop-assets")) {
      change.diff = { statements: [{ statement: 0, sid: "AssetObjects", change: "changed", actionsAdded: ["s3:DeleteObject"], actionsRemoved: [], resourcesAdded: [], resourcesRemoved: [], other: [] }] };
    }
  }
  return { plan: { ...plan, mode: "online" } };
};

describe("runPlanCheck", () => {
  it("annotates a permission change with its diff", async () => {
    const files = exampleConfig();
    const installed = await installedStatus(exampleFiles());
    const changed = (files[SHOP_ASSETS] as string).replace("Action: [s3:GetObject, s3:PutObject]", "Action: [s3:GetObject, s3:PutObject, s3:DeleteObject]");
    const root = writeConfig({ ...files, [SHOP_ASSETS]: changed, ".wid/status.yaml": installed });

    const result = await check(root, onlinePlanner);

    expect(result).toMatchObject({ conclusion: "success", title: "Plan: 0 to create, 1 to update, 0 to delete", annotations: 1, updates: 1 });
    const run = fake.checkRuns[0];
    expect(run?.annotations).toEqual([
      expect.objectContaining({
        path: `config/${SHOP_ASSETS}`,
        start_line: lineOf(changed, 'Version: "2012-10-17"'),
        message: "will update role wid-aws-shop-assets: + s3:DeleteObject",
      }),
    ]);
    expect(run?.output.summary).toMatch(/^Planned against the cloud for commit `[0-9a-f]{40}`\./);
    expect(run?.output.summary).toContain("| ~ update | `role-policy/wid-aws-shop-assets/wid-permissions` | `aws-shop-assets` | + s3:DeleteObject |");
  });

  it("truncates a summary over the limit", async () => {
    const files: Record<string, string> = { "settings.yaml": exampleConfig()["settings.yaml"] as string, "integrations/aws-prod.yaml": exampleConfig()["integrations/aws-prod.yaml"] as string };
    for (let i = 0; i < 400; i++) {
      const name = `aws-bulk-${String(i).padStart(3, "0")}-with-a-long-name-for-wide-rows`;
      files[`identities/${name}.yaml`] = awsIdentity(name, ["s3:GetObject"]);
    }
    const root = writeConfig(files);

    const result = await check(root, offlinePlanner, { offlineReason: "the test plans offline" });

    expect(result.conclusion).toBe("success");
    expect(result.annotations).toBe(401);
    expect(result.updates).toBe(9);
    expect(fake.requests.every((request) => request.status < 300)).toBe(true);
    const summary = fake.checkRuns[0]?.output.summary ?? "";
    expect(Buffer.byteLength(summary)).toBeLessThanOrEqual(65_535);
    expect(Buffer.byteLength(summary)).toBeGreaterThan(60_000);
    expect(summary.endsWith(TRUNCATED_NOTE)).toBe(true);
    expect(summary.split("<details>").length).toBe(summary.split("</details>").length);
    expect(fake.checkRuns[0]?.annotations).toHaveLength(401);
  }, 60_000);

  it("completes the run as failed when preparing fails", async () => {
    const failing = () => Promise.reject(new Error("cannot fetch the tree of the head commit"));

    await expect(check(folder, offlinePlanner, { prepare: failing })).rejects.toThrow("cannot fetch the tree");

    const run = fake.checkRuns[0];
    expect(run?.status).toBe("completed");
    expect(run?.conclusion).toBe("failure");
    expect(run?.output.title).toBe("wid could not plan this commit");
    expect(run?.output.summary).toContain("cannot fetch the tree of the head commit");
  });

  it("fails without a Settings document", async () => {
    const root = writeConfig({ "identities/aws-lonely.yaml": awsIdentity("aws-lonely", ["s3:GetObject"]) });

    const result = await check(root, offlinePlanner);

    expect(result.conclusion).toBe("failure");
    expect(fake.checkRuns[0]?.output.summary).toContain("**No plan:** the config has no valid `Settings` document");
  });

  it("never logs the token", async () => {
    const root = writeConfig({ ...exampleConfig() });

    await check(root, offlinePlanner, { comment: true });

    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join("\n")).not.toContain(TOKEN);
  });
});
