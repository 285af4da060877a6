import { access, readFile, readdir } from "node:fs/promises";
import path from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { signBody } from "../../src/github/webhook/signature.js";
import { GitFixture, TEST_GIT_ENV } from "../git/fixture.js";
import { startGitHttpServer } from "../git/git-http-server.js";
import { CliProcess } from "./cli-process.js";
import { parseStatus } from "./harness.js";

const STATUS = ".wid/status.yaml";
const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function newFixture(): Promise<GitFixture> {
  const fixture = await GitFixture.create();
  cleanups.push(() => fixture.cleanup());
  return fixture;
}

/** Starts `wid reconcile` as a daemon on the fixture, with an hour between runs. */
function startDaemon(fixture: GitFixture, extra: string[] = [], env: Record<string, string> = {}): CliProcess {
  const process = new CliProcess(["reconcile", "--repo", fixture.remote, "--work-dir", fixture.workDir, "--offline", "--interval", "1h", "--listen", "127.0.0.1:0", ...extra], { env: { HOME: TEST_GIT_ENV.HOME ?? "", ...env } });
  cleanups.push(async () => {
    process.kill("SIGKILL");
    await process.exited;
  });
  return process;
}

/** Lists every file under `dir`, recursively. */
async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

describe("wid reconcile process", () => {
  it("runs on SIGHUP", async () => {
    const fixture = await newFixture();
    const daemon = startDaemon(fixture);
    await daemon.waitForLog("run finished");
    const text = await fixture.seedFile("identities/aws-queue-consumer.yaml");
    const change = await fixture.commit({ "identities/aws-queue-consumer.yaml": text.replace("projects: [shop, platform]", "projects: [shop]") }, "Limit the queue consumer");

    daemon.kill("SIGHUP");
    const finished = await daemon.waitForLog("run finished", 2);

    expect(finished.outcome).toBe("success");
    expect(daemon.entries().find((entry) => entry.msg === "run started" && entry.trigger === "signal")).toBeDefined();
    expect(parseStatus(await fixture.remoteFile(STATUS)).revision).toBe(change);
  });

  it("stops cleanly on SIGTERM", async () => {
    const fixture = await newFixture();
    const daemon = startDaemon(fixture);
    await daemon.waitForLog("run finished");

    daemon.kill("SIGTERM");
    const code = await daemon.exited;

    expect(code).toBe(0);
    expect(daemon.count("daemon stopped")).toBe(1);
    await expect(access(`${fixture.workDir}.lock`)).rejects.toThrow();
  });

  it("runs on a signed webhook", async () => {
    const fixture = await newFixture();
    const secret = "a-webhook-secret-value";
    const daemon = startDaemon(fixture, [], { WID_WEBHOOK_SECRET: secret });
    const listening = await daemon.waitForLog("http server listening");
    await daemon.waitForLog("run finished");
    const body = JSON.stringify({ ref: "refs/heads/main" });

    const response = await fetch(`http://127.0.0.1:${String(listening.port)}/hooks/github`, { method: "POST", headers: { "Content-Type": "application/json", "X-GitHub-Event": "push", "X-Hub-Signature-256": signBody(secret, body) }, body });
    await daemon.waitForLog("run finished", 2);

    expect(response.status).toBe(202);
    expect(daemon.stdout).not.toContain(secret);
  });

  it("keeps secrets out of logs and files", async () => {
    const fixture = await newFixture();
    const token = "ghp_token0value0for0the0environment";
    const urlToken = "ghp_token0written0into0the0url";
    const webhookSecret = "webhook0secret0value";
    const server = await startGitHttpServer({ projectRoot: fixture.root, username: "x-access-token", token });
    cleanups.push(() => server.stop());
    const port = new URL(server.url).port;
    const repo = `http://x-access-token:${urlToken}@127.0.0.1:${port}/remote.git`;
    const env = { HOME: TEST_GIT_ENV.HOME ?? "", WID_GIT_TOKEN: token, WID_WEBHOOK_SECRET: webhookSecret, WID_LOG_LEVEL: "trace" };

    const daemon = new CliProcess(["reconcile", "--repo", repo, "--work-dir", fixture.workDir, "--offline", "--once"], { env });
    const code = await daemon.exited;
    const failing = new CliProcess(["reconcile", "--repo", repo, "--work-dir", `${fixture.workDir}-2`, "--offline", "--once"], { env: { ...env, WID_GIT_TOKEN: "ghp_wrong0token0value" } });
    const failingCode = await failing.exited;

    expect(code).toBe(0);
    expect(failingCode).toBe(1);
    const output = daemon.stdout + daemon.stderr + failing.stdout + failing.stderr;
    for (const secret of [token, urlToken, webhookSecret, "ghp_wrong0token0value"]) {
      expect(output).not.toContain(secret);
      expect(await fixture.remoteFile(STATUS)).not.toContain(secret);
      for (const file of await allFiles(path.join(fixture.workDir, ".git")).then((files) => files.filter((name) => !name.includes(`${path.sep}objects${path.sep}`)))) {
        expect(await readFile(file, "utf8"), file).not.toContain(secret);
      }
    }
    expect(daemon.entries().find((entry) => entry.msg === "reconcile starting")?.remote).toBe(`${server.url}/remote.git`);
    expect(daemon.count("no cloud runner in this build; running offline and applying nothing")).toBe(0);
    expect(daemon.count("the --repo URL contains credentials; using WID_GIT_TOKEN instead")).toBe(1);
    expect(failing.stderr).toMatch(/^wid: error: git clone failed: .*Authentication failed/);
  });
});
