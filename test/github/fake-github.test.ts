import { generateKeyPairSync } from "node:crypto";

import { SignJWT } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import type { FakeGithub } from "../support/fake-github.js";
import { startFakeGithub } from "../support/fake-github.js";
import { appKeyPair } from "./fixtures.js";

const TOKEN = "ghp_fake_self_test";
const keys = appKeyPair();
let fake: FakeGithub;
let head: string;

beforeEach(async () => {
  fake = await startFakeGithub({ tokens: [TOKEN], app: { id: 5, slug: "wid", publicKeyPem: keys.publicKeyPem, installations: [9] } });
  head = fake.commit("acme/identities", { "a.yaml": "a: 1\n" });
});

afterEach(async () => {
  await fake.close();
});

async function call(method: string, path: string, body?: unknown, authorization = `token ${TOKEN}`): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${fake.url}${path}`, {
    method,
    headers: { authorization, "content-type": "application/json" },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, json: text === "" ? undefined : JSON.parse(text) };
}

function annotations(count: number): unknown[] {
  return Array.from({ length: count }, (_, index) => ({ path: "a.yaml", start_line: index + 1, end_line: index + 1, annotation_level: "notice", message: "m" }));
}

describe("fake GitHub API", () => {
  it("rejects 51 annotations in one request", async () => {
    const created = await call("POST", "/repos/acme/identities/check-runs", { name: "c", head_sha: head, status: "in_progress" });
    const id = (created.json as { id: number }).id;

    expect((await call("PATCH", `/repos/acme/identities/check-runs/${id}`, { output: { title: "t", summary: "s", annotations: annotations(51) } })).status).toBe(422);
    expect((await call("PATCH", `/repos/acme/identities/check-runs/${id}`, { output: { title: "t", summary: "s", annotations: annotations(50) } })).status).toBe(200);
    expect(fake.checkRuns[0]?.annotations).toHaveLength(50);
  });

  it("rejects output over 65,535 characters", async () => {
    const long = "x".repeat(65_536);

    expect((await call("POST", "/repos/acme/identities/check-runs", { name: "c", head_sha: head, output: { title: "t", summary: long } })).status).toBe(422);
    expect((await call("POST", "/repos/acme/identities/check-runs", { name: "c", head_sha: head, output: { title: "t", summary: "s", text: long } })).status).toBe(422);
    expect((await call("POST", "/repos/acme/identities/check-runs", { name: "c", head_sha: head, output: { title: "t", summary: long.slice(1) } })).status).toBe(201);
  });

  it("rejects comments over 65,536 characters", async () => {
    expect((await call("POST", "/repos/acme/identities/issues/3/comments", { body: "x".repeat(65_537) })).status).toBe(422);
    expect((await call("POST", "/repos/acme/identities/issues/3/comments", { body: "x".repeat(65_536) })).status).toBe(201);
  });

  it("rejects a check run on an unknown commit", async () => {
    const result = await call("POST", "/repos/acme/identities/check-runs", { name: "c", head_sha: "e".repeat(40) });

    expect(result.status).toBe(422);
  });

  it("requires a conclusion to complete", async () => {
    expect((await call("POST", "/repos/acme/identities/check-runs", { name: "c", head_sha: head, status: "completed" })).status).toBe(422);
    expect((await call("POST", "/repos/acme/identities/check-runs", { name: "c", head_sha: head, conclusion: "success" })).json).toMatchObject({ status: "completed" });
  });

  it("rejects columns across lines", async () => {
    const output = { title: "t", summary: "s", annotations: [{ path: "a.yaml", start_line: 1, end_line: 2, start_column: 1, annotation_level: "notice", message: "m" }] };

    expect((await call("POST", "/repos/acme/identities/check-runs", { name: "c", head_sha: head, output })).status).toBe(422);
  });

  it("issues installation tokens only for App JWTs", async () => {
    const now = Math.floor(Date.now() / 1000);
    const { privateKey } = await import("node:crypto").then(({ createPrivateKey }) => ({ privateKey: createPrivateKey(keys.privateKeyPem) }));
    const good = await new SignJWT({}).setProtectedHeader({ alg: "RS256" }).setIssuer("5").setIssuedAt(now - 30).setExpirationTime(now + 540).sign(privateKey);
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const forged = await new SignJWT({}).setProtectedHeader({ alg: "RS256" }).setIssuer("5").setIssuedAt(now - 30).setExpirationTime(now + 540).sign(other);
    const tooLong = await new SignJWT({}).setProtectedHeader({ alg: "RS256" }).setIssuer("5").setIssuedAt(now).setExpirationTime(now + 3600).sign(privateKey);

    expect((await call("POST", "/app/installations/9/access_tokens", undefined, `Bearer ${forged}`)).status).toBe(401);
    expect((await call("POST", "/app/installations/9/access_tokens", undefined, `Bearer ${tooLong}`)).status).toBe(401);
    expect((await call("POST", "/app/installations/8/access_tokens", undefined, `Bearer ${good}`)).status).toBe(404);
    const issued = await call("POST", "/app/installations/9/access_tokens", undefined, `Bearer ${good}`);
    expect(issued.status).toBe(201);
    const token = (issued.json as { token: string }).token;
    expect((await call("POST", "/repos/acme/identities/check-runs", { name: "c", head_sha: head }, `token ${token}`)).status).toBe(201);
    expect((await call("POST", "/repos/acme/identities/check-runs", { name: "c", head_sha: head }, `Bearer ${good}`)).status).toBe(401);
  });

  it("paginates comments with a Link header", async () => {
    for (let i = 0; i < 5; i++) fake.addComment("acme/identities", 4, `c${i}`, { login: "u", type: "User" });

    const response = await fetch(`${fake.url}/repos/acme/identities/issues/4/comments?per_page=2`, { headers: { authorization: `token ${TOKEN}` } });

    expect(response.headers.get("link")).toBe(`<${fake.url}/repos/acme/identities/issues/4/comments?per_page=2&page=2>; rel="next"`);
    expect(((await response.json()) as unknown[]).length).toBe(2);
  });
});
