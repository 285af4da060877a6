import { writeFile } from "node:fs/promises";

import { afterEach, describe, expect, it } from "vitest";

import { runCli } from "../support/cli.js";
import type { CliResult } from "../support/cli.js";
import { GitFixture, TEST_GIT_ENV } from "../git/fixture.js";
import { parseStatus } from "./harness.js";
import type { LogEntry } from "./harness.js";

const STATUS = ".wid/status.yaml";
const fixtures: GitFixture[] = [];

afterEach(async () => {
  for (const fixture of fixtures.splice(0)) await fixture.cleanup();
});

async function newFixture(options: Parameters<typeof GitFixture.create>[0] = {}): Promise<GitFixture> {
  const fixture = await GitFixture.create(options);
  fixtures.push(fixture);
  return fixture;
}

/** `wid reconcile --once --offline` on the fixture's remote. */
async function reconcileOnce(fixture: GitFixture, extra: string[] = []): Promise<CliResult> {
  return runCli(["reconcile", "--repo", fixture.remote, "--work-dir", fixture.workDir, "--once", "--offline", ...extra], { env: { HOME: TEST_GIT_ENV.HOME ?? "" } });
}

function logEntries(result: CliResult): LogEntry[] {
  return result.stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogEntry);
}

const QUEUE_CONSUMER = "identities/aws-queue-consumer.yaml";

describe("wid reconcile --once", () => {
  it("pushes one status commit", async () => {
    const fixture = await newFixture();
    const [config] = await fixture.remoteLog();

    const result = await reconcileOnce(fixture);

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const log = await fixture.remoteLog();
    expect(log).toHaveLength(2);
    expect(log[1]?.sha).toBe(config?.sha);
    expect(log[0]?.files).toEqual([STATUS]);
    expect(log[0]?.author).toBe("wid <wid@localhost>");
    expect(log[0]?.subject).toBe(`Update wid status for ${config?.sha.slice(0, 7)}: 0 created, 0 updated, 0 deleted`);
    expect(log[0]?.body).toContain(`Wid-Config-Revision: ${config?.sha}`);
    const status = parseStatus(await fixture.remoteFile(STATUS));
    expect(status.revision).toBe(config?.sha);
    expect(status.workloads["shop/api"]?.aws?.identity).toBe("aws-shop-assets");
    expect(status.workloads["shop/api"]?.aws?.shadowed).toEqual(["aws-shop-readonly"]);
    expect(status.workloads["shop/api"]?.gcp?.identity).toBe("gcp-uploads-writer");
    expect(status.workloads["shop/api"]?.aws?.env.AWS_ROLE_ARN).toBe("arn:aws:iam::123456789012:role/workload-identity/wid-aws-shop-assets");
  });

  it("counts offline changes alike in every line", async () => {
    const fixture = await newFixture();

    const result = await reconcileOnce(fixture);

    const entries = logEntries(result);
    const planned = entries.find((entry) => entry.msg === "plan computed");
    const reconciled = entries.find((entry) => entry.msg === "reconcile finished");
    const finished = entries.find((entry) => entry.msg === "run finished");
    const plannedChanges = Number(planned?.create) + Number(planned?.update) + Number(planned?.delete);
    const counts = { created: 0, updated: 0, deleted: 0, failed: 0, pending: planned?.pending, notApplied: plannedChanges };
    expect(plannedChanges).toBeGreaterThan(0);
    expect(reconciled).toMatchObject({ outcome: "success", mode: "offline", suspended: false, ...counts });
    expect(finished).toMatchObject({ outcome: "success", mode: "offline", suspended: false, ...counts });
    expect(entries.filter((entry) => entry.outcome !== undefined).map((entry) => entry.outcome)).toEqual(["success", "success"]);
  });

  it("pushes nothing the second time", async () => {
    const fixture = await newFixture();
    await reconcileOnce(fixture);
    const head = await fixture.remoteHead();

    const result = await reconcileOnce(fixture);

    expect(result.code).toBe(0);
    expect(await fixture.remoteHead()).toBe(head);
    expect(logEntries(result).map((entry) => entry.msg)).toContain("status unchanged; nothing to commit");
  });

  it("commits the new mapping of a scope change", async () => {
    const fixture = await newFixture();
    await reconcileOnce(fixture);
    const before = parseStatus(await fixture.remoteFile(STATUS));
    const text = await fixture.seedFile(QUEUE_CONSUMER);
    const scopeOnly = await fixture.commit({ [QUEUE_CONSUMER]: text.replace("projects: [shop, platform]", "projects: [shop]") }, "Limit the queue consumer to the shop");

    const result = await reconcileOnce(fixture);

    expect(result.code).toBe(0);
    const log = await fixture.remoteLog();
    expect(log[1]?.sha).toBe(scopeOnly);
    expect(log[0]?.files).toEqual([STATUS]);
    expect(log[0]?.subject).toContain("0 created, 0 updated, 0 deleted");
    const after = parseStatus(await fixture.remoteFile(STATUS));
    expect(after.revision).toBe(scopeOnly);
    expect(before.workloads["platform/dead-letter-drain"]?.aws?.identity).toBe("aws-queue-consumer");
    expect(after.workloads["platform/dead-letter-drain"]).toBeUndefined();
    expect(after.workloads["shop/order-worker"]?.aws?.identity).toBe("aws-queue-consumer");
    expect(after.identities["aws-queue-consumer"]?.desiredHash).toBe(before.identities["aws-queue-consumer"]?.desiredHash);
    expect(after.identities["aws-queue-consumer"]?.workloads).toEqual(["shop/order-worker"]);
  });

  it("marks an identity with broken YAML invalid", async () => {
    const fixture = await newFixture();
    await reconcileOnce(fixture);
    const before = parseStatus(await fixture.remoteFile(STATUS));
    const text = await fixture.seedFile(QUEUE_CONSUMER);
    await fixture.commit({ [QUEUE_CONSUMER]: text.replace("projects: [shop, platform]", "projects: [shop, platform") }, "Break the queue consumer");

    const result = await reconcileOnce(fixture);

    // The run is partial: the other identities reconcile, and the exit code reports the broken file.
    expect(result.code).toBe(1);
    expect(logEntries(result).find((entry) => entry.msg === "run finished")?.outcome).toBe("partial");
    const after = parseStatus(await fixture.remoteFile(STATUS));
    const broken = after.identities["aws-queue-consumer"];
    expect(broken?.state).toBe("invalid");
    expect(broken?.message).toContain(QUEUE_CONSUMER);
    expect(broken?.file).toBe(QUEUE_CONSUMER);
    // Its workloads keep it, and nothing is deleted or orphaned.
    expect(after.workloads["shop/order-worker"]?.aws?.identity).toBe("aws-queue-consumer");
    expect(after.workloads["platform/dead-letter-drain"]?.aws?.identity).toBe("aws-queue-consumer");
    expect(Object.values(after.identities).some((identity) => identity.state === "orphaned")).toBe(false);
    expect((await fixture.remoteLog())[0]?.subject).toContain("0 deleted");
    // The other identities still reconcile.
    for (const name of ["aws-shop-assets", "aws-shop-readonly", "aws-reports-writer", "gcp-uploads-writer", "gcp-bigquery-reader", "aws-audit-reader"]) {
      expect(after.identities[name]).toEqual(before.identities[name]);
    }
    const diagnostic = logEntries(result).find((entry) => entry.msg === "config diagnostic");
    expect(diagnostic).toMatchObject({ file: QUEUE_CONSUMER, code: "yaml-syntax" });
  });

  it("marks a schema-invalid identity invalid", async () => {
    const fixture = await newFixture();
    await reconcileOnce(fixture);
    const text = await fixture.seedFile(QUEUE_CONSUMER);
    await fixture.commit({ [QUEUE_CONSUMER]: text.replace("install: true", "install: maybe") }, "Break the install flag");

    const result = await reconcileOnce(fixture);

    expect(result.code).toBe(1);
    const after = parseStatus(await fixture.remoteFile(STATUS));
    expect(after.identities["aws-queue-consumer"]?.state).toBe("invalid");
    expect(after.identities["aws-shop-assets"]?.state).toBe("pending-install");
    expect(after.workloads["shop/order-worker"]?.aws?.identity).toBe("aws-queue-consumer");
  });

  it("reconciles a config path", async () => {
    const fixture = await newFixture({ subdir: "platform/wid", extraFiles: { "README.md": "# monorepo\n" } });

    const result = await reconcileOnce(fixture, ["--path", "platform/wid"]);

    expect(result.code).toBe(0);
    const [latest] = await fixture.remoteLog();
    expect(latest?.files).toEqual([`platform/wid/${STATUS}`]);
    expect(parseStatus(await fixture.remoteFile(`platform/wid/${STATUS}`)).workloads["shop/api"]).toBeDefined();
  });

  it("uses the configured author", async () => {
    const fixture = await newFixture();

    await reconcileOnce(fixture, ["--author", "Identity Bot <identity-bot@example.com>"]);

    expect((await fixture.remoteLog())[0]?.author).toBe("Identity Bot <identity-bot@example.com>");
  });

  it.each([
    [["--interval", "5x"], "--interval 5x is not a duration; write it as 30s, 5m, 1h or 1h30m"],
    [["--path", "../elsewhere"], "--path ../elsewhere must be a folder inside the repository"],
    [["--listen", "localhost"], "--listen localhost must be HOST:PORT"],
    [["--jitter", "2"], "--jitter 2 must be a number from 0 to 1"],
    [["--author", "nobody"], '--author nobody must be "NAME <EMAIL>"'],
    [["--branch", "bad..name"], "--branch bad..name is not a valid branch name"],
    [["--webhook-secret-file", "/does/not/exist"], "--webhook-secret-file /does/not/exist cannot be read (ENOENT)"],
  ])("rejects %j", async (flags, message) => {
    const fixture = await newFixture();

    const result = await reconcileOnce(fixture, flags);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`wid: error: ${message}`);
    expect(result.stderr.split("\n").filter((line) => line !== "")).toHaveLength(1);
  });

  it("rejects a work folder in use", async () => {
    const fixture = await newFixture();
    await writeFile(`${fixture.workDir}.lock`, `${process.pid}\n`, "utf8");

    const result = await reconcileOnce(fixture);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`wid: error: the work folder is in use by process ${process.pid}`);
    const failure = logEntries(result).find((entry) => entry.msg === "reconcile failed to start");
    expect(failure?.err).toMatchObject({ type: "FolderLockedError", kind: "locked", owner: process.pid });
    expect(failure?.err).not.toHaveProperty("stack");
  });

  it("fails on an unreachable repository", async () => {
    const fixture = await newFixture();

    const result = await runCli(["reconcile", "--repo", `${fixture.root}/missing.git`, "--work-dir", fixture.workDir, "--once", "--offline"]);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^wid: error: git clone failed: .*missing\.git/);
    const failure = logEntries(result).find((entry) => entry.msg === "reconcile failed to start");
    expect(failure?.err).toMatchObject({ type: "GitOperationError", kind: "git", operation: "clone" });
    expect(failure?.err).not.toHaveProperty("stack");
  });

  it("adds stacks at debug level", async () => {
    const fixture = await newFixture();

    const result = await runCli(["reconcile", "--repo", `${fixture.root}/missing.git`, "--work-dir", fixture.workDir, "--once", "--offline", "--log-level", "debug"]);

    const failure = logEntries(result).find((entry) => entry.msg === "reconcile failed to start");
    expect(failure?.err).toHaveProperty("stack");
  });
});
