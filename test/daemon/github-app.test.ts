import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { signBody } from "../../src/github/webhook/signature.js";
import { runCli } from "../support/cli.js";
import type { FakeGithub } from "../support/fake-github.js";
import { startFakeGithub } from "../support/fake-github.js";
import { GitFixture, TEST_GIT_ENV } from "../git/fixture.js";
import { appKeyPair, exampleFiles, pullRequestPayload, REPOSITORY } from "../github/fixtures.js";
import { CliProcess } from "./cli-process.js";

/**
 * A `wid reconcile` daemon process with the issuer's keys and GitHub App credentials:
 * it serves the JWKS and the discovery document, posts check runs for signed pull
 * request deliveries to the fake GitHub API, and runs on signed pushes.
 */

const SECRET = "webhook0secret0for0the0app";
const APP_ID = 31337;
const INSTALLATION = 4242;
const keys = appKeyPair();
const SHOP_ASSETS = "config/identities/aws-shop-assets.yaml";

let fake: FakeGithub;
let fixture: GitFixture;
let daemon: CliProcess;
let baseUrl: string;
let dir: string;
let issuerKeys: string;

beforeAll(async () => {
  fake = await startFakeGithub({ app: { id: APP_ID, slug: "wid-test", publicKeyPem: keys.publicKeyPem, installations: [INSTALLATION] } });
  fixture = await GitFixture.create({ subdir: "config" });
  dir = await mkdtemp(path.join(tmpdir(), "wid-app-"));
  issuerKeys = path.join(dir, "issuer-keys.json");
  expect((await runCli(["issuer", "init", "--keys", issuerKeys])).code).toBe(0);

  const env = {
    HOME: TEST_GIT_ENV.HOME ?? "",
    WID_WEBHOOK_SECRET: SECRET,
    WID_GITHUB_APP_ID: String(APP_ID),
    WID_GITHUB_APP_PRIVATE_KEY: keys.privateKeyPem,
    WID_GITHUB_APP_INSTALLATION_ID: String(INSTALLATION),
    GITHUB_API_URL: fake.url,
    GITHUB_REPOSITORY: REPOSITORY,
  };
  const args = ["reconcile", "--repo", fixture.remote, "--path", "config", "--work-dir", fixture.workDir, "--offline", "--interval", "1h", "--listen", "127.0.0.1:0", "--issuer-keys", issuerKeys];
  daemon = new CliProcess(args, { env });
  const listening = await daemon.waitForLog("http server listening");
  baseUrl = `http://127.0.0.1:${String(listening.port)}`;
  await daemon.waitForLog("run finished");
});

afterAll(async () => {
  daemon?.kill("SIGTERM");
  await daemon?.exited;
  await fake?.close();
  await fixture?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

async function deliver(event: string, payload: unknown, signature?: string): Promise<Response> {
  const body = JSON.stringify(payload);
  const headers = { "Content-Type": "application/json", "X-GitHub-Event": event, "X-GitHub-Delivery": `delivery-${event}`, "X-Hub-Signature-256": signature ?? signBody(SECRET, body) };
  return fetch(`${baseUrl}/hooks/github`, { method: "POST", headers, body });
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; daemon output:\n${daemon.stdout}\n${daemon.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("daemon with the issuer and a GitHub App", () => {
  it("serves the JWKS and the discovery document", async () => {
    const jwks = await fetch(`${baseUrl}/.well-known/jwks.json`);
    const discovery = await fetch(`${baseUrl}/.well-known/openid-configuration`);

    expect(jwks.status).toBe(200);
    expect(jwks.headers.get("cache-control")).toBe("public, max-age=300");
    const published = (await jwks.json()) as { keys: { kid: string; kty: string; d?: string }[] };
    const stored = JSON.parse(await readFile(issuerKeys, "utf8")) as { keys: { kid: string }[] };
    expect(published.keys.map((key) => key.kid)).toEqual(stored.keys.map((key) => key.kid));
    expect(published.keys.every((key) => key.d === undefined)).toBe(true);
    expect(discovery.status).toBe(200);
    expect(await discovery.json()).toMatchObject({ issuer: "https://oidc.example.com", jwks_uri: "https://oidc.example.com/.well-known/jwks.json" });
  });

  it("posts a check run for a signed pull request", async () => {
    const files = exampleFiles();
    const base = fake.commit(REPOSITORY, files, { branch: "main" });
    const head = fake.commit(REPOSITORY, { ...files, [SHOP_ASSETS]: (files[SHOP_ASSETS] ?? "").replace("Action: [s3:GetObject, s3:PutObject]", "Action: [s3:GetObject]") });

    const response = await deliver("pull_request", pullRequestPayload({ number: 7, headSha: head, baseSha: base, action: "opened", installationId: INSTALLATION }));

    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ triggered: false, handled: true });
    await waitFor(() => fake.checkRuns[0]?.status === "completed", "the check run");
    const run = fake.checkRuns[0];
    expect(run).toMatchObject({ head_sha: head, name: "wid plan", status: "completed" });
    expect(run?.output.title).toMatch(/^Offline plan: /);
    expect(run?.output.summary).toContain("the daemon runs with --offline");
    expect(fake.requestsTo("POST", /^\/app\/installations\/4242\/access_tokens$/)).toHaveLength(1);
    expect(daemon.stdout).not.toContain(SECRET);
    expect(daemon.stdout).not.toContain(keys.privateKeyPem.split("\n")[1] ?? "");
  });

  it("runs on a signed push", async () => {
    const runs = daemon.count("run finished");

    const response = await deliver("push", { ref: "refs/heads/main", repository: { full_name: REPOSITORY } });

    expect(response.status).toBe(202);
    await daemon.waitForLog("run finished", runs + 1);
    expect(daemon.entries().filter((entry) => entry.msg === "run started").at(-1)?.trigger).toBe("webhook");
  });

  it("rejects a bad signature and does nothing", async () => {
    const runs = daemon.count("run started");
    const checks = fake.checkRuns.length;
    const requests = fake.requests.length;
    const payload = pullRequestPayload({ number: 8, headSha: "a".repeat(40), baseSha: "b".repeat(40), action: "opened", installationId: INSTALLATION });

    const forged = await deliver("pull_request", payload, signBody("another-secret", JSON.stringify(payload)));
    const push = await deliver("push", { ref: "refs/heads/main" }, "sha256=" + "0".repeat(64));
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(forged.status).toBe(401);
    expect(push.status).toBe(401);
    expect(daemon.count("run started")).toBe(runs);
    expect(fake.checkRuns).toHaveLength(checks);
    expect(fake.requests).toHaveLength(requests);
  });

  it("refuses a missing issuer key file at start", async () => {
    const result = await runCli(["reconcile", "--repo", fixture.remote, "--work-dir", `${fixture.workDir}-keys`, "--listen", "127.0.0.1:0", "--issuer-keys", "/nonexistent/wid-keys.json"], { env: { HOME: TEST_GIT_ENV.HOME ?? "" } });

    expect(result.code).toBe(1);
    expect(result.stderr).toBe("wid: error: --issuer-keys: key file /nonexistent/wid-keys.json not found; create it with wid issuer init --keys /nonexistent/wid-keys.json\n");
  });

  it("needs the webhook secret for the App", async () => {
    const env = { HOME: TEST_GIT_ENV.HOME ?? "", WID_GITHUB_APP_ID: String(APP_ID), WID_GITHUB_APP_PRIVATE_KEY: keys.privateKeyPem, WID_GITHUB_APP_INSTALLATION_ID: String(INSTALLATION), GITHUB_REPOSITORY: REPOSITORY };

    const result = await runCli(["reconcile", "--repo", fixture.remote, "--work-dir", `${fixture.workDir}-app`, "--listen", "127.0.0.1:0"], { env });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("the GitHub App needs the webhook secret");
    expect(result.stderr).not.toContain(keys.privateKeyPem.split("\n")[1] ?? "");
  });
});
