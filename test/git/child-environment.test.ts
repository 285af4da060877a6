import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createGitClient } from "../../src/git/client.js";
import type { GitAuth } from "../../src/git/auth.js";
import { git, TEST_GIT_ENV } from "./fixture.js";

/**
 * The environment of the git processes wid runs: secrets that the daemon reads for
 * other purposes never reach git, and what git needs to connect does.
 */

const SECRETS: Record<string, string> = {
  WID_ISSUER_KEYS: '{"kind":"IssuerKeySet","private":"issuer-key-secret"}',
  WID_ISSUER_KEYS_FILE: "/run/secrets/issuer-keys.json",
  WID_GITHUB_APP_PRIVATE_KEY: "-----BEGIN PRIVATE KEY-----app-key-secret",
  WID_GITHUB_APP_PRIVATE_KEY_FILE: "/run/secrets/app.pem",
  WID_GITHUB_APP_ID: "12345",
  WID_WEBHOOK_SECRET: "webhook-secret",
  WID_GIT_TOKEN: "git-token-from-the-environment",
  WID_LOG_LEVEL: "debug",
  wid_lowercase_secret: "lowercase-secret",
  GITHUB_TOKEN: "ghs_github_token_secret",
  GH_TOKEN: "gh_token_secret",
  AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
  AWS_SECRET_ACCESS_KEY: "aws-secret-access-key",
  AWS_SESSION_TOKEN: "aws-session-token",
};

const KEPT: Record<string, string> = {
  PATH: process.env.PATH ?? "",
  HTTPS_PROXY: "http://127.0.0.1:3128",
  https_proxy: "http://127.0.0.1:3128",
  NO_PROXY: "localhost",
  SSH_AUTH_SOCK: "/tmp/agent.sock",
  GIT_SSH_COMMAND: "ssh -i /keys/deploy -o BatchMode=yes",
  AWS_REGION: "eu-west-1",
};

let repo: string;

beforeAll(async () => {
  repo = await mkdtemp(path.join(tmpdir(), "wid-git-env-"));
  await git(["init", "--quiet", repo], tmpdir());
  // A repository alias that prints the environment git's children get.
  await git(["config", "alias.printenv", "!env"], repo);
});

afterAll(async () => {
  await rm(repo, { recursive: true, force: true });
});

async function childEnvironment(auth: GitAuth): Promise<Map<string, string>> {
  const client = createGitClient(repo, { auth, environment: { ...TEST_GIT_ENV, ...SECRETS, ...KEPT }, author: { name: "wid", email: "wid@example.com" } });
  const output = await client.raw(["printenv"]);
  return new Map(output.split("\n").flatMap((line) => (line.includes("=") ? [[line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)] as [string, string]] : [])));
}

describe("git child environment", () => {
  it("drops secrets the daemon reads", async () => {
    const env = await childEnvironment({ token: undefined, username: "x-access-token" });

    for (const name of Object.keys(SECRETS)) expect(env.has(name), name).toBe(false);
    const values = [...env.values()].join("\n");
    for (const value of Object.values(SECRETS)) expect(values, value).not.toContain(value);
  });

  it("keeps what git needs", async () => {
    const env = await childEnvironment({ token: undefined, username: "x-access-token" });

    for (const [name, value] of Object.entries(KEPT)) {
      // git puts its own exec path in front of PATH for the commands it runs.
      if (name === "PATH") expect(env.get(name)?.endsWith(value), name).toBe(true);
      else expect(env.get(name), name).toBe(value);
    }
    expect(env.get("HOME")).toBe(TEST_GIT_ENV.HOME);
    expect(env.get("GIT_TERMINAL_PROMPT")).toBe("0");
  });

  it("passes the token only for the credential helper", async () => {
    const env = await childEnvironment({ token: "token-for-the-helper", username: "wid-bot" });

    expect(env.get("WID_GIT_TOKEN")).toBe("token-for-the-helper");
    expect(env.get("WID_GIT_USERNAME")).toBe("wid-bot");
    expect(env.has("WID_ISSUER_KEYS")).toBe(false);
    expect(env.has("WID_WEBHOOK_SECRET")).toBe(false);
  });
});
