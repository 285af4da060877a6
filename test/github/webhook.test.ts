import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";

import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { offlinePlanner } from "../../src/github/planner.js";
import type { GithubWebhookHandler } from "../../src/github/webhook/handler.js";
import { createGithubWebhookHandler } from "../../src/github/webhook/handler.js";
import { signBody } from "../../src/github/webhook/signature.js";
import type { FakeGithub, FakeFile } from "../support/fake-github.js";
import { startFakeGithub } from "../support/fake-github.js";
import type { RepositoryFiles } from "./fixtures.js";
import { appKeyPair, awsIdentity, exampleFiles, installedStatus, lineOf, pullRequestPayload, REPOSITORY } from "./fixtures.js";

const SECRET = "webhook-secret-for-tests-5f2c";
const APP_ID = 31337;
const INSTALLATION = 4242;
const keys = appKeyPair();
const SHOP_ASSETS = "config/identities/aws-shop-assets.yaml";

let fake: FakeGithub;
let server: Server;
let url: string;
let handler: GithubWebhookHandler;
let reconciles: number;
let logLines: string[];

async function start(options: { truncateRecursiveTrees?: boolean; triggerReconcile?: () => Promise<void> } = {}): Promise<void> {
  fake = await startFakeGithub({
    app: { id: APP_ID, slug: "wid-test", publicKeyPem: keys.publicKeyPem, installations: [INSTALLATION] },
    ...(options.truncateRecursiveTrees === true ? { truncateRecursiveTrees: true } : {}),
  });
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(...chunk.toString().split("\n").filter((line) => line !== ""));
      done();
    },
  });
  handler = createGithubWebhookHandler({
    secret: SECRET,
    app: { appId: APP_ID, privateKey: keys.privateKeyPem, apiUrl: fake.url },
    repository: REPOSITORY,
    branch: "main",
    configPath: "config",
    planner: offlinePlanner,
    offlineReason: "the test daemon plans offline",
    triggerReconcile:
      options.triggerReconcile ??
      (() => {
        reconciles++;
        return Promise.resolve();
      }),
    logger: pino({ level: "debug" }, stream),
  });
  server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

beforeEach(() => {
  reconciles = 0;
  logLines = [];
});

afterEach(async () => {
  await handler.idle();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await fake.close();
});

async function deliver(event: string, payload: unknown, options: { signature?: string | null; contentType?: string; method?: string } = {}): Promise<{ status: number; body: unknown }> {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = { "x-github-event": event, "x-github-delivery": "delivery-1", "content-type": options.contentType ?? "application/json" };
  const signature = options.signature === undefined ? signBody(SECRET, body) : options.signature;
  if (signature !== null) headers["x-hub-signature-256"] = signature;
  const response = await fetch(url, { method: options.method ?? "POST", headers, ...(options.method === "GET" ? {} : { body }) });
  return { status: response.status, body: await response.json() };
}

async function baseAndHead(change: (files: RepositoryFiles) => RepositoryFiles): Promise<{ base: string; head: string; headFiles: RepositoryFiles }> {
  const files = exampleFiles();
  const withStatus = { ...files, "config/.wid/status.yaml": await installedStatus(files) };
  const base = fake.commit(REPOSITORY, withStatus, { branch: "main" });
  const headFiles = change(withStatus);
  const head = fake.commit(REPOSITORY, headFiles);
  return { base, head, headFiles };
}

function addDelete(files: RepositoryFiles): RepositoryFiles {
  return { ...files, [SHOP_ASSETS]: (files[SHOP_ASSETS] as string).replace("Action: [s3:GetObject, s3:PutObject]", "Action: [s3:GetObject, s3:PutObject, s3:DeleteObject]") };
}

describe("GitHub webhook handler", () => {
  it("rejects a bad signature with 401", async () => {
    await start();
    const { base, head } = await baseAndHead(addDelete);
    const payload = pullRequestPayload({ number: 3, headSha: head, baseSha: base, action: "opened", installationId: INSTALLATION });

    const forged = await deliver("pull_request", payload, { signature: signBody("another-secret", JSON.stringify(payload)) });
    const missing = await deliver("pull_request", payload, { signature: null });
    const malformed = await deliver("pull_request", payload, { signature: "sha256=abc" });
    const push = await deliver("push", { ref: "refs/heads/main", repository: { full_name: REPOSITORY } }, { signature: "sha1=0000" });
    await handler.idle();

    expect([forged.status, missing.status, malformed.status, push.status]).toEqual([401, 401, 401, 401]);
    expect(forged.body).toEqual({ error: "missing or invalid X-Hub-Signature-256; check the webhook secret" });
    expect(fake.requests).toHaveLength(0);
    expect(reconciles).toBe(0);
  });

  it("posts a check run for a signed pull request", async () => {
    await start();
    const { base, head, headFiles } = await baseAndHead(addDelete);

    const response = await deliver("pull_request", pullRequestPayload({ number: 3, headSha: head, baseSha: base, action: "opened", installationId: INSTALLATION }));
    await handler.idle();

    expect(response).toEqual({ status: 202, body: { status: "accepted", action: "check" } });
    const tokenRequests = fake.requestsTo("POST", /^\/app\/installations\/4242\/access_tokens$/);
    expect(tokenRequests.map((request) => request.status)).toEqual([201]);
    const token = fake.issuedTokens[0] as string;
    const repositoryRequests = fake.requests.filter((request) => request.path.startsWith("/repos/"));
    expect(repositoryRequests.every((request) => request.authorization === `token ${token}`)).toBe(true);
    expect(fake.requestsTo("GET", /\/git\/trees\//).map((request) => [request.path, request.query])).toEqual([[`/repos/acme/identities/git/trees/${head}`, { recursive: "1" }]]);
    expect(fake.requestsTo("GET", /\/contents\//).map((request) => [decodeURIComponent(request.path), request.query])).toEqual([["/repos/acme/identities/contents/config/.wid/status.yaml", { ref: "main" }]]);

    const run = fake.checkRuns[0];
    expect(run).toMatchObject({ head_sha: head, status: "completed", conclusion: "success", name: "wid plan" });
    expect(run?.output.title).toBe("Offline plan: 0 to create, 1 to update, 0 to delete");
    expect(run?.output.summary).toContain("because the test daemon plans offline");
    expect(run?.annotations).toEqual([
      expect.objectContaining({ path: SHOP_ASSETS, start_line: lineOf(headFiles[SHOP_ASSETS] as string, 'Version: "2012-10-17"'), message: "will update role wid-aws-shop-assets: the permissions in the file differ from the installed ones" }),
    ]);
  });

  it("plans against the branch's status file", async () => {
    await start();
    // The pull request rewrites its status file as if its change were installed.
    const { base, head } = await baseAndHead(addDelete);
    const changedFiles = addDelete({ ...exampleFiles() });
    const hiding = fake.commit(REPOSITORY, { ...changedFiles, "config/.wid/status.yaml": await installedStatus(changedFiles) });

    await deliver("pull_request", pullRequestPayload({ number: 3, headSha: hiding, baseSha: base, action: "synchronize", installationId: INSTALLATION }));
    await handler.idle();

    expect(head).not.toBe(hiding);
    expect(fake.checkRuns[0]?.output.title).toBe("Offline plan: 0 to create, 1 to update, 0 to delete");
  });

  it("reads files as data and skips links", async () => {
    await start({ truncateRecursiveTrees: true });
    const files: Record<string, FakeFile> = { ...addDelete(exampleFiles()), "config/identities/aws-linked.yaml": { symlink: "/etc/passwd" }, "config/.hidden/aws-x.yaml": awsIdentity("aws-hidden", ["s3:GetObject"]), "README.md": "# identities\n" };
    const base = fake.commit(REPOSITORY, exampleFiles(), { branch: "main" });
    const head = fake.commit(REPOSITORY, files);

    await deliver("pull_request", pullRequestPayload({ number: 3, headSha: head, baseSha: base, action: "reopened", installationId: INSTALLATION }));
    await handler.idle();

    // The recursive listing came back truncated, so the tree was read folder by folder.
    expect(fake.requestsTo("GET", /\/git\/trees\//).length).toBeGreaterThan(1);
    const blobs = fake.requestsTo("GET", /\/git\/blobs\//).length;
    expect(blobs).toBe(Object.keys(exampleFiles()).length);
    expect(fake.checkRuns[0]?.conclusion).toBe("neutral");
    expect(fake.checkRuns[0]?.output.summary).not.toContain("aws-hidden");
  });

  it("fails the check when the tree cannot be read", async () => {
    await start();
    const { base, head } = await baseAndHead(addDelete);
    fake.failRequests("GET", /\/git\/trees\//, 404);

    await deliver("pull_request", pullRequestPayload({ number: 3, headSha: head, baseSha: base, action: "opened", installationId: INSTALLATION }));
    await handler.idle();

    const run = fake.checkRuns[0];
    expect(run).toMatchObject({ head_sha: head, status: "completed", conclusion: "failure" });
    expect(run?.output.title).toBe("wid could not plan this commit");
    expect(run?.output.summary).toContain("GitHub API call git.getTree failed with HTTP 404: injected failure");
    expect(logLines.some((line) => line.includes('"msg":"pull request check failed"') && line.includes('"pullRequest":3'))).toBe(true);
  });

  it("triggers a reconcile on a push to the branch", async () => {
    await start();

    const main = await deliver("push", { ref: "refs/heads/main", repository: { full_name: REPOSITORY } });
    const feature = await deliver("push", { ref: "refs/heads/feature", repository: { full_name: REPOSITORY } });
    const other = await deliver("push", { ref: "refs/heads/main", repository: { full_name: "acme/other" } });
    await handler.idle();

    expect(main).toEqual({ status: 202, body: { status: "accepted", action: "reconcile" } });
    expect(feature.body).toEqual({ status: "ignored", reason: "push is not to branch main" });
    expect(other.body).toEqual({ status: "ignored", reason: "events of repository acme/other are not for this config repository" });
    expect(reconciles).toBe(1);
    expect(fake.requests).toHaveLength(0);
  });

  it("logs a failed reconcile trigger", async () => {
    await start({ triggerReconcile: () => Promise.reject(new Error("reconcile queue is closed")) });

    const response = await deliver("push", { ref: "refs/heads/main", repository: { full_name: REPOSITORY } });
    await handler.idle();

    expect(response.status).toBe(202);
    expect(logLines.some((line) => line.includes('"msg":"reconcile trigger failed"') && line.includes("reconcile queue is closed"))).toBe(true);
  });

  it("ignores events it does not plan", async () => {
    await start();
    const { base, head } = await baseAndHead(addDelete);

    const closed = await deliver("pull_request", pullRequestPayload({ number: 3, headSha: head, baseSha: base, action: "closed", installationId: INSTALLATION }));
    const otherBase = await deliver("pull_request", pullRequestPayload({ number: 3, headSha: head, baseSha: base, action: "opened", baseRef: "release", installationId: INSTALLATION }));
    const ping = await deliver("ping", { zen: "Keep it logically awesome." });
    const issues = await deliver("issues", { action: "opened", repository: { full_name: REPOSITORY } });
    await handler.idle();

    expect(closed.body).toEqual({ status: "ignored", reason: "pull_request action closed does not change the head commit" });
    expect(otherBase.body).toEqual({ status: "ignored", reason: "the pull request targets release, not main" });
    expect(ping).toEqual({ status: 200, body: { status: "pong" } });
    expect(issues.body).toEqual({ status: "ignored", reason: "event issues is not handled" });
    expect(fake.requests).toHaveLength(0);
  });

  it("accepts a form-encoded push", async () => {
    await start();
    const body = new URLSearchParams({ payload: JSON.stringify({ ref: "refs/heads/main", repository: { full_name: REPOSITORY } }) }).toString();

    const response = await fetch(url, { method: "POST", headers: { "x-github-event": "push", "content-type": "application/x-www-form-urlencoded", "x-hub-signature-256": signBody(SECRET, body) }, body });
    await handler.idle();

    expect(response.status).toBe(202);
    expect(reconciles).toBe(1);
  });

  it("rejects other methods and bodies", async () => {
    await start();

    const get = await fetch(url);
    const text = await deliver("push", { ref: "refs/heads/main" }, { contentType: "text/plain" });
    const list = await deliver("push", [{ ref: "refs/heads/main" }]);
    const emptyForm = await deliver("push", { ref: "refs/heads/main" }, { contentType: "application/x-www-form-urlencoded" });

    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect(text).toEqual({ status: 415, body: { error: expect.stringContaining("set the webhook's content type to application/json or application/x-www-form-urlencoded") } });
    expect(list).toEqual({ status: 400, body: { error: "the body is not a JSON object" } });
    expect(emptyForm).toEqual({ status: 400, body: { error: "the payload field of the form is not a JSON object" } });
    expect(reconciles).toBe(0);
  });

  it("keeps secrets out of logs and requests", async () => {
    await start();
    const { base, head } = await baseAndHead(addDelete);

    await deliver("pull_request", pullRequestPayload({ number: 3, headSha: head, baseSha: base, action: "opened", installationId: INSTALLATION }), { signature: "sha256=" + "0".repeat(64) });
    await deliver("pull_request", pullRequestPayload({ number: 3, headSha: head, baseSha: base, action: "opened", installationId: INSTALLATION }));
    await handler.idle();

    const token = fake.issuedTokens[0] as string;
    const keyLine = keys.privateKeyPem.split("\n")[1] as string;
    const logs = logLines.join("\n");
    const bodies = fake.requests.map((request) => request.rawBody).join("\n");
    expect(logLines.length).toBeGreaterThan(3);
    for (const secret of [SECRET, token, keyLine]) {
      expect(logs).not.toContain(secret);
      expect(bodies).not.toContain(secret);
    }
    expect(logs).toContain('"msg":"webhook signature rejected"');
  });

  it("rejects malformed options", () => {
    const base = { secret: SECRET, app: { appId: 1, privateKey: keys.privateKeyPem }, repository: REPOSITORY, branch: "main", planner: offlinePlanner, triggerReconcile: () => undefined, logger: pino({ level: "silent" }) };

    expect(() => createGithubWebhookHandler({ ...base, secret: "" })).toThrow("secret must be the non-empty webhook secret");
    expect(() => createGithubWebhookHandler({ ...base, repository: "identities" })).toThrow('repository "identities" must be OWNER/NAME');
    expect(() => createGithubWebhookHandler({ ...base, branch: "refs/heads/main" })).toThrow("branch must be a branch name");
  });
});
