import { afterEach, describe, expect, it } from "vitest";

import { runCli } from "../support/cli.js";
import type { CliResult } from "../support/cli.js";
import { motoAvailability } from "../support/moto.js";
import { GitFixture, TEST_GIT_ENV } from "../git/fixture.js";
import { CliProcess } from "./cli-process.js";
import { EXAMPLE_PROJECT, useTestClouds } from "./clouds.js";
import { parseStatus } from "./harness.js";
import type { LogEntry } from "./harness.js";

/**
 * `wid reconcile --once` as a user runs it, on the whole example repository: AWS in
 * moto behind the counting proxy, Google Cloud in its local fake.
 */

const STATUS = ".wid/status.yaml";
const QUEUE_CONSUMER = "identities/aws-queue-consumer.yaml";
const SHOP_READONLY = "identities/aws-shop-readonly.yaml";
const PROVIDER = "arn:aws:iam::123456789012:oidc-provider/oidc.example.com";
const INSTALLED_ROLES = ["wid-aws-queue-consumer", "wid-aws-reports-writer", "wid-aws-shop-assets", "wid-aws-shop-readonly"];
const availability = motoAvailability();
const testClouds = useTestClouds(availability.run);

const fixtures: GitFixture[] = [];

afterEach(async () => {
  for (const fixture of fixtures.splice(0)) await fixture.cleanup();
});

async function newFixture(): Promise<GitFixture> {
  const fixture = await GitFixture.create();
  fixtures.push(fixture);
  return fixture;
}

async function cliEnv(options: { google?: boolean } = {}): Promise<Record<string, string>> {
  return { HOME: TEST_GIT_ENV.HOME ?? "", ...(await testClouds().cliEnv(options)) };
}

function reconcileArgs(fixture: GitFixture): string[] {
  return ["reconcile", "--repo", fixture.remote, "--work-dir", fixture.workDir, "--once"];
}

async function reconcileOnce(fixture: GitFixture, options: { google?: boolean } = {}): Promise<CliResult> {
  return runCli(reconcileArgs(fixture), { env: await cliEnv(options) });
}

function logEntries(result: CliResult): LogEntry[] {
  return result.stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogEntry);
}

function finished(result: CliResult): LogEntry | undefined {
  return logEntries(result).find((entry) => entry.msg === "run finished");
}

describe.skipIf(!availability.run)(`wid reconcile against moto ${availability.reason}`, () => {
  it("applies the example in one status commit", async () => {
    const fixture = await newFixture();
    const [config] = await fixture.remoteLog();

    const result = await reconcileOnce(fixture);

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    // aws-audit-reader has install: false, so its role and inline policy wait.
    expect(finished(result)).toMatchObject({ outcome: "success", created: 15, updated: 0, deleted: 0, pending: 2 });
    const iam = await testClouds().iamState();
    expect(iam.providers).toEqual([PROVIDER]);
    expect(Object.keys(iam.roles).sort()).toEqual(INSTALLED_ROLES);
    for (const role of INSTALLED_ROLES) expect(Object.keys(iam.roles[role]?.policies ?? {})).toEqual(["wid-permissions"]);
    expect(testClouds().iamWriteCounts()).toEqual({ CreateOpenIDConnectProvider: 1, CreateRole: 4, PutRolePolicy: 4 });
    expect(testClouds().gcp.pool(EXAMPLE_PROJECT.projectId, "wid-pool")).toBeDefined();

    const log = await fixture.remoteLog();
    expect(log).toHaveLength(2);
    expect(log[0]?.files).toEqual([STATUS]);
    expect(log[0]?.subject).toBe(`Update wid status for ${config?.sha.slice(0, 7)}: 15 created, 0 updated, 0 deleted`);
    const status = parseStatus(await fixture.remoteFile(STATUS));
    expect(status.integrations["aws-prod"]).toMatchObject({ state: "installed", installed: true, oidcProvider: PROVIDER });
    expect(status.integrations["gcp-prod"]).toMatchObject({ state: "installed", installed: true });
    for (const name of ["aws-queue-consumer", "aws-reports-writer", "aws-shop-assets", "aws-shop-readonly", "gcp-bigquery-reader", "gcp-uploads-writer"]) {
      expect(status.identities[name]?.state, name).toBe("installed");
      expect(status.identities[name]?.installedRevision, name).toBe(config?.sha);
    }
    expect(status.identities["aws-audit-reader"]?.state).toBe("not-installed");
    expect(status.workloads["shop/api"]?.aws).toMatchObject({ identity: "aws-shop-assets", ready: true });
    expect(status.workloads["shop/api"]?.gcp).toMatchObject({ identity: "gcp-uploads-writer", ready: true });
  });

  it("pushes nothing and writes nothing the second time", async () => {
    const fixture = await newFixture();
    await reconcileOnce(fixture);
    const head = await fixture.remoteHead();
    const state = await testClouds().iamState();
    testClouds().proxy.resetCounts();
    testClouds().gcp.resetCalls();

    const result = await reconcileOnce(fixture);

    expect(result.code).toBe(0);
    expect(finished(result)).toMatchObject({ outcome: "success", created: 0, updated: 0, deleted: 0, statusCommit: null });
    expect(await fixture.remoteHead()).toBe(head);
    expect(testClouds().iamWrites()).toBe(0);
    expect(testClouds().gcpWrites()).toEqual([]);
    expect(await testClouds().iamState()).toEqual(state);
  });

  it("commits a scope change without cloud writes", async () => {
    const fixture = await newFixture();
    await reconcileOnce(fixture);
    const before = parseStatus(await fixture.remoteFile(STATUS));
    const text = await fixture.seedFile(QUEUE_CONSUMER);
    const change = await fixture.commit({ [QUEUE_CONSUMER]: text.replace("projects: [shop, platform]", "projects: [shop]") }, "Limit the queue consumer");
    testClouds().proxy.resetCounts();
    testClouds().gcp.resetCalls();

    const result = await reconcileOnce(fixture);

    expect(result.code).toBe(0);
    expect(testClouds().iamWrites()).toBe(0);
    expect(testClouds().gcpWrites()).toEqual([]);
    const log = await fixture.remoteLog();
    expect(log[0]?.subject).toBe(`Update wid status for ${change.slice(0, 7)}: 0 created, 0 updated, 0 deleted`);
    const after = parseStatus(await fixture.remoteFile(STATUS));
    expect(before.workloads["platform/dead-letter-drain"]?.aws?.identity).toBe("aws-queue-consumer");
    expect(after.workloads["platform/dead-letter-drain"]?.aws?.identity ?? null).not.toBe("aws-queue-consumer");
    expect(after.workloads["shop/order-worker"]?.aws).toMatchObject({ identity: "aws-queue-consumer", ready: true });
    // The permissions did not change, so the installed revision stays the first one.
    expect(after.identities["aws-queue-consumer"]?.installedRevision).toBe(before.identities["aws-queue-consumer"]?.installedRevision);
  });

  it("keeps a broken file's identity and reconciles the rest", async () => {
    const fixture = await newFixture();
    await reconcileOnce(fixture);
    const before = await testClouds().iamState();
    const readonly = await fixture.seedFile(SHOP_READONLY);
    await fixture.commit(
      {
        [QUEUE_CONSUMER]: "apiVersion: wid/v1\nkind: WorkloadIdentity\nmetadata: [unclosed\n",
        [SHOP_READONLY]: readonly.replace("Action: [s3:GetObject, s3:ListBucket]", "Action: [s3:GetObject, s3:GetObjectTagging, s3:ListBucket]"),
      },
      "Break the queue consumer and widen the read-only identity",
    );
    expect(readonly).toContain("Action: [s3:GetObject, s3:ListBucket]");
    testClouds().proxy.resetCounts();

    const result = await reconcileOnce(fixture);

    expect(result.code).toBe(1);
    expect(finished(result)).toMatchObject({ outcome: "partial", created: 0, updated: 1, deleted: 0 });
    expect(testClouds().iamWriteCounts()).toEqual({ PutRolePolicy: 1 });
    const after = await testClouds().iamState();
    expect(after.providers).toEqual(before.providers);
    expect(after.roles["wid-aws-queue-consumer"]).toEqual(before.roles["wid-aws-queue-consumer"]);
    expect(Object.keys(after.roles).sort()).toEqual(INSTALLED_ROLES);
    const status = parseStatus(await fixture.remoteFile(STATUS));
    expect(status.identities["aws-queue-consumer"]).toMatchObject({ state: "invalid", file: QUEUE_CONSUMER, desiredHash: null });
    expect(status.identities["aws-queue-consumer"]?.installedHash).not.toBeNull();
    expect(status.workloads["platform/dead-letter-drain"]?.aws).toMatchObject({ identity: "aws-queue-consumer", ready: true });
    expect(status.identities["aws-shop-readonly"]?.state).toBe("installed");
    expect(status.identities["aws-shop-readonly"]?.installedHash).toBe(status.identities["aws-shop-readonly"]?.desiredHash);
    expect((await fixture.remoteLog())[0]?.body).toContain("Outcome: partial.");
  });

  it("reports a missing Google credential as partial", async () => {
    const fixture = await newFixture();

    const result = await reconcileOnce(fixture, { google: false });

    expect(result.stderr).toBe("");
    expect(result.code).toBe(1);
    expect(finished(result)).toMatchObject({ outcome: "partial", created: 9 });
    const reconciled = logEntries(result).find((entry) => entry.msg === "reconcile finished");
    expect(reconciled).toMatchObject({ level: "warn", outcome: "partial", created: 9, mode: "apply" });
    expect(reconciled?.reason).toContain("integration gcp-prod failed");
    expect(finished(result)?.reason).toBe(reconciled?.reason);
    // Missing credentials are an expected error: its kind and ids, no stack trace.
    const observed = logEntries(result).find((entry) => entry.msg === "integration could not be observed");
    expect(observed?.err).toMatchObject({ kind: "credentials", integration: "gcp-prod", provider: "gcp" });
    expect(result.stdout).not.toContain('"stack"');
    const status = parseStatus(await fixture.remoteFile(STATUS));
    expect(status.integrations["gcp-prod"]?.state).toBe("failed");
    expect(status.identities["gcp-uploads-writer"]?.state).toBe("failed");
    expect(status.identities["aws-shop-assets"]?.state).toBe("installed");
    expect(status.workloads["shop/api"]?.aws?.ready).toBe(true);
    expect(status.workloads["shop/api"]?.gcp?.ready).toBe(false);
    expect((await fixture.remoteLog())[0]?.body).toContain("Outcome: partial.");
  });

  it("reports a suspended run as applying nothing", async () => {
    const fixture = await newFixture();

    const result = await runCli([...reconcileArgs(fixture), "--suspend"], { env: await cliEnv() });

    expect(result.code).toBe(0);
    expect(testClouds().iamWrites()).toBe(0);
    const planned = logEntries(result).find((entry) => entry.msg === "plan computed");
    const reconciled = logEntries(result).find((entry) => entry.msg === "reconcile finished");
    const counts = { created: 0, updated: 0, deleted: 0, failed: 0, pending: planned?.pending, notApplied: 0 };
    expect(planned?.pending).toBe(17);
    expect(reconciled).toMatchObject({ outcome: "success", suspended: true, ...counts });
    expect(finished(result)).toMatchObject({ outcome: "success", suspended: true, ...counts });
    expect((await fixture.remoteLog())[0]?.body).toContain("Applying is suspended");
  });

  it("converges after SIGKILL between writes", async () => {
    const fixture = await newFixture();
    const env = await cliEnv();
    const killed = new CliProcess(reconcileArgs(fixture), { env });
    await killed.waitForLog("resource applied");
    killed.kill("SIGKILL");
    await killed.exited;
    expect(killed.count("run finished")).toBe(0);
    const head = await fixture.remoteHead();
    expect((await fixture.remoteLog()).some((commit) => commit.files.includes(STATUS))).toBe(false);

    const restarted = await runCli(reconcileArgs(fixture), { env });
    const state = await testClouds().iamState();
    testClouds().proxy.resetCounts();
    const again = await runCli(reconcileArgs(fixture), { env });

    expect(restarted.code).toBe(0);
    expect(again.code).toBe(0);
    expect(state.providers).toEqual([PROVIDER]);
    expect(Object.keys(state.roles).sort()).toEqual(INSTALLED_ROLES);
    for (const role of INSTALLED_ROLES) expect(Object.keys(state.roles[role]?.policies ?? {})).toEqual(["wid-permissions"]);
    expect(testClouds().iamWrites()).toBe(0);
    const log = await fixture.remoteLog();
    expect(log.filter((commit) => commit.files.includes(STATUS))).toHaveLength(1);
    expect(log[1]?.sha).toBe(head);
    expect(parseStatus(await fixture.remoteFile(STATUS)).identities["aws-shop-assets"]?.state).toBe("installed");
  });
});
