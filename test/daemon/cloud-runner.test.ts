import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { loadConfig } from "../../src/config/load.js";
import { runOnce } from "../../src/daemon/daemon.js";
import { createReconcileRunner } from "../../src/daemon/reconcile-runner.js";
import type { ReconcileInput, ReconcileRunner } from "../../src/daemon/runner.js";
import { createOnlinePlanner } from "../../src/github/online-planner.js";
import { readStatusFile } from "../../src/status/file.js";
import { copyExample, removeRepo } from "../aws/helpers.js";
import { motoAvailability } from "../support/moto.js";
import { GitFixture } from "../git/fixture.js";
import { useTestClouds } from "./clouds.js";
import { captureLogger, parseStatus, testDaemonOptions } from "./harness.js";

/** The cloud runner in process, against moto behind the counting proxy and the fake of Google Cloud. */

const STATUS = ".wid/status.yaml";
const never = { stop: new AbortController().signal, kill: new AbortController().signal };
const availability = motoAvailability();
const testClouds = useTestClouds(availability.run);

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function cloudRunner(): ReconcileRunner {
  return createReconcileRunner({ mode: "apply", adapters: testClouds().adapters() });
}

/** Copies the example's AWS part into a folder outside git, which stands in for the daemon's config directory. */
async function awsExample(): Promise<string> {
  const dir = await copyExample();
  cleanups.push(() => removeRepo(dir));
  return dir;
}

function input(configDir: string, overrides: Partial<ReconcileInput> = {}): ReconcileInput {
  return { configDir, revision: "rev-1", signal: new AbortController().signal, logger: captureLogger().logger, ...overrides };
}

describe.skipIf(!availability.run)(`cloud runner against moto ${availability.reason}`, () => {
  it("maps an applied run to its result", async () => {
    const dir = await awsExample();

    const result = await cloudRunner()(input(dir));

    expect(result).toMatchObject({
      outcome: "success",
      statusFile: STATUS,
      statusChanged: true,
      counts: { created: 9, updated: 0, deleted: 0, failed: 0, pending: 2, notApplied: 0 },
      suspended: false,
      identities: { installed: 4, "not-installed": 1 },
      retryable: false,
      issuer: "https://oidc.example.com",
    });
    expect(result.reason).toBeUndefined();
    expect(result.timings.planMs).toBeGreaterThan(0);
    expect(result.timings.applyMs).toBeGreaterThan(0);
    expect(result.timings.statusMs).toBeGreaterThan(0);
    expect(parseStatus(await readFile(path.join(dir, STATUS), "utf8")).revision).toBe("rev-1");
  });

  it("stops between writes on abort", async () => {
    const dir = await awsExample();
    const controller = new AbortController();
    // The stop arrives while the first role is being created: that write finishes, no other starts.
    testClouds().proxy.failWhen((call) => {
      if (call.action === "CreateRole") controller.abort(new Error("shutdown requested"));
      return false;
    });

    const stopped = cloudRunner()(input(dir, { signal: controller.signal }));

    await expect(stopped).rejects.toThrow("shutdown requested");
    testClouds().proxy.failWhen(undefined);
    expect(testClouds().iamWriteCounts()).toEqual({ CreateOpenIDConnectProvider: 1, CreateRole: 1 });
    await expect(readFile(path.join(dir, STATUS), "utf8")).rejects.toThrow();

    const resumed = await cloudRunner()(input(dir));

    expect(resumed.outcome).toBe("success");
    // The next run finishes the role left without its inline policy and creates the rest.
    expect(resumed.counts).toMatchObject({ created: 7, updated: 0, deleted: 0 });
    const iam = await testClouds().iamState();
    expect(iam.providers).toHaveLength(1);
    expect(Object.keys(iam.roles)).toHaveLength(4);
    expect(Object.values(iam.roles).every((role) => Object.keys(role.policies).length === 1)).toBe(true);
  });

  it("stops before the first write when aborted early", async () => {
    const dir = await awsExample();
    const controller = new AbortController();
    testClouds().proxy.failWhen((call) => {
      if (call.action === "GetAccountAuthorizationDetails") controller.abort(new Error("shutdown requested"));
      return false;
    });

    await expect(cloudRunner()(input(dir, { signal: controller.signal }))).rejects.toThrow("shutdown requested");

    testClouds().proxy.failWhen(undefined);
    expect(testClouds().iamWrites()).toBe(0);
  });

  it.each([
    ["--suspend", { suspend: true }, ""],
    ["Settings", {}, "  suspend: true\n"],
  ])("applies nothing when suspended by %s", async (_source, overrides, settingsLine) => {
    const dir = await awsExample();
    if (settingsLine !== "") {
      const file = path.join(dir, "settings.yaml");
      await writeFile(file, `${await readFile(file, "utf8")}${settingsLine}`, "utf8");
    }

    const result = await cloudRunner()(input(dir, overrides));

    expect(testClouds().iamWrites()).toBe(0);
    expect(result).toMatchObject({ outcome: "success", suspended: true, counts: { created: 0, updated: 0, deleted: 0, failed: 0, pending: 11, notApplied: 0 }, identities: { "pending-install": 4, "not-installed": 1 } });
    const status = parseStatus(await readFile(path.join(dir, STATUS), "utf8"));
    expect(status.identities["aws-shop-assets"]?.state).toBe("pending-install");
    expect(status.identities["aws-shop-assets"]?.message).toContain("applying is suspended");
    expect(status.integrations["aws-prod"]?.installed).toBe(false);
    expect(status.workloads["shop/api"]?.aws?.ready).toBe(false);
  });

  it("rebases over a push between plan and push", async () => {
    const fixture = await GitFixture.create();
    cleanups.push(() => fixture.cleanup());
    const inner = cloudRunner();
    let concurrent = "";
    // Someone merges a config change after wid applied and before it pushes.
    const runner: ReconcileRunner = async (runInput) => {
      const result = await inner(runInput);
      concurrent = await fixture.commit({ "workloads/late.yaml": "apiVersion: wid/v1\nkind: Workload\nmetadata: { name: late, project: shop }\nspec: { type: job, tags: [s3] }\n" }, "Add a late workload");
      return result;
    };

    const report = await runOnce(testDaemonOptions(fixture, captureLogger().logger, { runner, mode: "apply" }), never);

    expect(report.outcome).toBe("success");
    expect(report.rebased).toBe(true);
    expect(report.result?.counts).toMatchObject({ created: 15, updated: 0, deleted: 0 });
    const log = await fixture.remoteLog();
    expect(log[0]?.sha).toBe(report.statusCommit);
    expect(log[0]?.files).toEqual([STATUS]);
    expect(log[0]?.subject).toContain("15 created, 0 updated, 0 deleted");
    expect(log[1]?.sha).toBe(concurrent);
    const status = parseStatus(await fixture.remoteFile(STATUS));
    expect(status.revision).toBe(report.revision);
    expect(status.identities["aws-shop-assets"]?.state).toBe("installed");
  });

  it("plans a config against the clouds for pull requests", async () => {
    const dir = await awsExample();
    await cloudRunner()(input(dir));
    testClouds().proxy.resetCounts();
    const { model } = await loadConfig(dir);
    const { status } = await readStatusFile(dir, STATUS);

    const planner = createOnlinePlanner({ adapters: testClouds().adapters(), logger: captureLogger().logger });
    const { plan } = await planner({ root: dir, model, status, statusFile: STATUS, revision: "rev-2" });

    expect(plan.mode).toBe("online");
    expect(plan.changes).toEqual([]);
    expect(plan.pending.map((change) => change.resource)).toEqual(["role/wid-aws-audit-reader", "role-policy/wid-aws-audit-reader/wid-permissions"]);
    expect(testClouds().iamWrites()).toBe(0);
  });
});
