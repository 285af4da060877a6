import { access } from "node:fs/promises";

import { afterEach, describe, expect, it } from "vitest";

import { git, GitFixture, TEST_GIT_ENV } from "../git/fixture.js";
import { runCli } from "../support/cli.js";
import { CliProcess } from "./cli-process.js";
import { parseStatus } from "./harness.js";

const STATUS = ".wid/status.yaml";
const fixtures: GitFixture[] = [];

afterEach(async () => {
  for (const fixture of fixtures.splice(0)) await fixture.cleanup();
});

function reconcileArgs(fixture: GitFixture): string[] {
  return ["reconcile", "--repo", fixture.remote, "--work-dir", fixture.workDir, "--offline", "--once"];
}

/** Returns the status file and commit count that an uninterrupted run produces. */
async function cleanOutcome(): Promise<{ status: string | null; commits: number }> {
  const fixture = await GitFixture.create();
  fixtures.push(fixture);
  await runCli(reconcileArgs(fixture), { env: { HOME: TEST_GIT_ENV.HOME ?? "" } });
  return { status: await fixture.remoteFile(STATUS), commits: (await fixture.remoteLog()).length };
}

describe("crash recovery", () => {
  // Each case kills wid with SIGKILL right after it logs the message, then starts it again.
  it.each(["reconcile starting", "repository cloned", "run started", "work folder synced", "plan computed", "changes not applied", "status committed and pushed"])(
    "converges after SIGKILL at %s",
    async (killAt) => {
      const expected = await cleanOutcome();
      const fixture = await GitFixture.create();
      fixtures.push(fixture);
      const env = { HOME: TEST_GIT_ENV.HOME ?? "" };

      const first = new CliProcess(reconcileArgs(fixture), { env });
      await first.waitForLog(killAt);
      first.kill("SIGKILL");
      await first.exited;
      const restarted = await runCli(reconcileArgs(fixture), { env });

      expect(restarted.stderr).toBe("");
      expect(restarted.code).toBe(0);
      const log = await fixture.remoteLog();
      expect(log).toHaveLength(expected.commits);
      expect(log.filter((commit) => commit.files.includes(STATUS))).toHaveLength(1);
      const status = parseStatus(await fixture.remoteFile(STATUS));
      // The two remotes differ only in commit ids, so compare everything but the revision.
      expect({ ...status, revision: null }).toEqual({ ...parseStatus(expected.status), revision: null });
      expect(status.revision).toBe(log[log.length - 1]?.sha);
      expect((await git(["status", "--porcelain"], fixture.workDir)).trim()).toBe("");
      await expect(access(`${fixture.workDir}.lock`)).rejects.toThrow();
    },
  );

  it("converges after SIGKILL of a daemon", async () => {
    const fixture = await GitFixture.create();
    fixtures.push(fixture);
    const env = { HOME: TEST_GIT_ENV.HOME ?? "" };
    const daemon = new CliProcess(["reconcile", "--repo", fixture.remote, "--work-dir", fixture.workDir, "--offline", "--interval", "1h", "--listen", "127.0.0.1:0"], { env });
    await daemon.waitForLog("run finished");
    const text = await fixture.seedFile("identities/aws-shop-readonly.yaml");
    const change = await fixture.commit({ "identities/aws-shop-readonly.yaml": text.replace("tags: [s3, catalog]", "tags: [catalog]") }, "Narrow the read-only identity");
    daemon.kill("SIGHUP");
    await daemon.waitForLog("work folder synced", 2);
    daemon.kill("SIGKILL");
    await daemon.exited;

    const restarted = new CliProcess(["reconcile", "--repo", fixture.remote, "--work-dir", fixture.workDir, "--offline", "--interval", "1h", "--listen", "127.0.0.1:0"], { env });
    const finished = await restarted.waitForLog("run finished");
    restarted.kill("SIGTERM");
    const code = await restarted.exited;

    expect(code).toBe(0);
    expect(finished.outcome).toBe("success");
    expect(restarted.count("stale work folder lock taken over")).toBe(1);
    const status = parseStatus(await fixture.remoteFile(STATUS));
    expect(status.revision).toBe(change);
    expect(status.workloads["shop/api"]?.aws?.shadowed).toEqual([]);
  });
});
