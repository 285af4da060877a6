import { access, rename } from "node:fs/promises";

import { afterEach, describe, expect, it } from "vitest";

import type { RunReport } from "../../src/daemon/cycle.js";
import { Daemon, runOnce } from "../../src/daemon/daemon.js";
import type { DaemonOptions } from "../../src/daemon/daemon.js";
import { runOffline } from "../../src/daemon/reconcile-runner.js";
import type { ReconcileRunner } from "../../src/daemon/runner.js";
import { GitFixture } from "../git/fixture.js";
import { captureLogger, collectRuns, gatedRunner, parseStatus, testDaemonOptions, waitFor } from "./harness.js";
import type { CapturedLogger } from "./harness.js";

const STATUS = ".wid/status.yaml";
const never = { stop: new AbortController().signal, kill: new AbortController().signal };
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function newFixture(): Promise<GitFixture> {
  const fixture = await GitFixture.create();
  cleanups.push(() => fixture.cleanup());
  return fixture;
}

async function startDaemon(options: DaemonOptions): Promise<{ daemon: Daemon; reports: RunReport[] }> {
  const daemon = await Daemon.start(options);
  cleanups.push(() => daemon.stop("test finished"));
  return { daemon, reports: collectRuns(daemon) };
}

async function quietPeriod(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 400));
}

describe("daemon runs", () => {
  it("collapses triggers during a run", async () => {
    const fixture = await newFixture();
    const gate = gatedRunner();
    const { daemon, reports } = await startDaemon(testDaemonOptions(fixture, captureLogger().logger, { runner: gate.runner }));
    await waitFor(() => gate.waiting() === 1, 10_000, "the startup run");

    const results = [daemon.trigger("api"), daemon.trigger("signal"), daemon.trigger("webhook"), daemon.trigger("api")];
    gate.open();
    await waitFor(() => gate.waiting() === 1, 20_000, "the queued run");
    gate.open();
    await waitFor(() => reports.length === 2, 20_000, "both runs");
    await quietPeriod();

    expect(results).toEqual(["queued", "merged", "merged", "merged"]);
    expect(gate.started).toBe(2);
    expect(reports.map((report) => report.trigger)).toEqual(["startup", "api"]);
  });

  it("rebases over a push during the run", async () => {
    const fixture = await newFixture();
    let concurrent = "";
    // Someone merges a config change after wid planned and before it pushes.
    const runner: ReconcileRunner = async (input) => {
      const result = await runOffline(input);
      concurrent = await fixture.commit({ "workloads/late.yaml": "apiVersion: wid/v1\nkind: Workload\nmetadata: { name: late, project: shop }\nspec: { type: job, tags: [s3] }\n" }, "Add a late workload");
      return result;
    };

    const report = await runOnce(testDaemonOptions(fixture, captureLogger().logger, { runner }), never);

    const log = await fixture.remoteLog();
    expect(report.outcome).toBe("success");
    expect(report.rebased).toBe(true);
    expect(log[0]?.sha).toBe(report.statusCommit);
    expect(log[0]?.files).toEqual([STATUS]);
    expect(log[1]?.sha).toBe(concurrent);
    expect(parseStatus(await fixture.remoteFile(STATUS)).revision).toBe(report.revision);
  });

  it("describes the late push next run", async () => {
    const fixture = await newFixture();
    const first = await runOnce(testDaemonOptions(fixture, captureLogger().logger), never);
    const late = await fixture.commit({ "workloads/late.yaml": "apiVersion: wid/v1\nkind: Workload\nmetadata: { name: late, project: shop }\nspec: { type: job, tags: [s3] }\n" }, "Add a late workload");

    const second = await runOnce(testDaemonOptions(fixture, captureLogger().logger), never);

    const status = parseStatus(await fixture.remoteFile(STATUS));
    expect(first.revision).not.toBe(late);
    expect(second.revision).toBe(late);
    expect(status.revision).toBe(late);
    expect(status.workloads["shop/late"]?.aws?.identity).toBe("aws-shop-assets");
  });

  it("regenerates a hand-edited status", async () => {
    const fixture = await newFixture();
    await runOnce(testDaemonOptions(fixture, captureLogger().logger), never);
    const runner: ReconcileRunner = async (input) => {
      const result = await runOffline(input);
      await fixture.commit({ [STATUS]: "# edited by hand\n" }, "Edit the status file by hand");
      return result;
    };
    await fixture.commit({ "workloads/late.yaml": "apiVersion: wid/v1\nkind: Workload\nmetadata: { name: late, project: shop }\nspec: { type: job, tags: [s3] }\n" }, "Add a late workload");
    const captured = captureLogger();

    const report = await runOnce(testDaemonOptions(fixture, captured.logger, { runner }), never);

    expect(report.rebased).toBe(true);
    expect(captured.messages()).toContain("status file conflict; regenerating it on the new head");
    expect(parseStatus(await fixture.remoteFile(STATUS)).workloads["shop/late"]).toBeDefined();
  });

  it("reports without applying when suspended", async () => {
    const fixture = await newFixture();
    const captured = captureLogger();

    const report = await runOnce(testDaemonOptions(fixture, captured.logger, { suspend: true }), never);

    const status = parseStatus(await fixture.remoteFile(STATUS));
    expect(report.result?.suspended).toBe(true);
    expect(status.identities["aws-shop-assets"]?.state).toBe("pending-install");
    expect(status.identities["aws-shop-assets"]?.message).toContain("applying is suspended");
    expect((await fixture.remoteLog())[0]?.body).toContain("Applying is suspended");
  });

  it("follows suspend in Settings", async () => {
    const fixture = await newFixture();
    const settings = await fixture.seedFile("settings.yaml");
    await fixture.commit({ "settings.yaml": `${settings}  suspend: true\n` }, "Suspend applying");

    const report = await runOnce(testDaemonOptions(fixture, captureLogger().logger), never);

    expect(report.result?.suspended).toBe(true);
    expect(parseStatus(await fixture.remoteFile(STATUS)).identities["aws-queue-consumer"]?.message).toContain("applying is suspended");
  });

  it("abandons the run on stop", async () => {
    const fixture = await newFixture();
    const gate = gatedRunner();
    const captured = captureLogger();
    const daemon = await Daemon.start(testDaemonOptions(fixture, captured.logger, { runner: gate.runner }));
    const reports = collectRuns(daemon);
    await waitFor(() => gate.waiting() === 1, 10_000, "the startup run");
    const head = await fixture.remoteHead();

    await daemon.stop("SIGTERM");

    expect(reports.map((report) => report.outcome)).toEqual(["aborted"]);
    expect(await fixture.remoteHead()).toBe(head);
    expect(captured.messages()).toEqual(expect.arrayContaining(["daemon stopping", "run abandoned at a safe point", "daemon stopped"]));
    await expect(access(`${fixture.workDir}.lock`)).rejects.toThrow();
  });

  it("fails a run that times out", async () => {
    const fixture = await newFixture();
    const runner: ReconcileRunner = (input) =>
      new Promise((_resolve, reject) => {
        input.signal.addEventListener("abort", () => reject(input.signal.reason), { once: true });
      });
    const captured = captureLogger();

    const report = await runOnce(testDaemonOptions(fixture, captured.logger, { runner, timeoutMs: 300 }), never);

    expect(report.outcome).toBe("failed");
    expect(report.retry).toBe(true);
    expect(report.error).toContain("longer than its timeout");
    expect(captured.messages()).toContain("run timed out");
  });

  it("retries after a fetch failure", async () => {
    const fixture = await newFixture();
    const captured = captureLogger();
    const { daemon, reports } = await startDaemon(testDaemonOptions(fixture, captured.logger, { schedule: { intervalMs: 3_600_000, retryIntervalMs: 200, jitter: 0 } }));
    await waitFor(() => reports.length === 1, 20_000, "the startup run");
    await rename(fixture.remote, `${fixture.remote}.moved`);

    daemon.trigger("api");
    await waitFor(() => reports.length === 2, 20_000, "the failing run");
    await rename(`${fixture.remote}.moved`, fixture.remote);
    await waitFor(() => reports.length === 3, 20_000, "the retry");

    expect(reports.map((report) => [report.trigger, report.outcome])).toEqual([
      ["startup", "success"],
      ["api", "failed"],
      ["retry", "success"],
    ]);
    expect(reports[1]?.error).toMatch(/git fetch failed/);
    expect(captured.messages()).toEqual(expect.arrayContaining(["run failed", "retry scheduled"]));
  });

  it("fails without Settings and commits nothing", async () => {
    const fixture = await newFixture();
    await runOnce(testDaemonOptions(fixture, captureLogger().logger), never);
    await fixture.commit({ "settings.yaml": null }, "Remove the settings");
    const head = await fixture.remoteHead();
    const captured: CapturedLogger = captureLogger();

    const report = await runOnce(testDaemonOptions(fixture, captured.logger), never);

    expect(report.outcome).toBe("failed");
    expect(report.retry).toBe(false);
    expect(await fixture.remoteHead()).toBe(head);
    expect(captured.messages()).toContain("config has no valid Settings document");
  });
});
