import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { decodeJwt, decodeProtectedHeader } from "jose";
import { beforeAll, describe, expect, it } from "vitest";

import { jwks } from "../../src/issuer/discovery.js";
import { createKeySet } from "../../src/issuer/key-rotation.js";
import { StaticKeySetSource } from "../../src/issuer/key-source.js";
import { TokenSigner } from "../../src/issuer/token.js";
import { verifyIssuerToken } from "../../src/issuer/verify.js";
import { runCli } from "../support/cli.js";
import { GCP_PROJECT, TEST_ISSUER, writeConfigRepo } from "../credentials/support/config-repo.js";

const GCP_AUDIENCE = `//iam.googleapis.com/projects/${GCP_PROJECT.projectNumber}/locations/global/workloadIdentityPools/${GCP_PROJECT.poolId}/providers/${GCP_PROJECT.providerId}`;

let repo: string;
let keys: string;

beforeAll(async () => {
  repo = await writeConfigRepo({ tokenLifetime: "15m" });
  keys = path.join(await mkdtemp(path.join(tmpdir(), "wid-token-")), "keys.json");
  expect((await runCli(["issuer", "init", "--keys", keys])).code).toBe(0);
});

async function mint(args: readonly string[]): Promise<string> {
  const result = await runCli(["token", repo, "--keys", keys, ...args]);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim();
}

describe("wid token", () => {
  it("mints a token with the standard claims", async () => {
    const token = await mint(["--identity", "assets-writer", "--workload", "shop/worker"]);
    const header = decodeProtectedHeader(token);
    const claims = decodeJwt(token);

    expect(header).toMatchObject({ alg: "RS256", typ: "JWT" });
    expect(header.kid).toMatch(/^[\w-]{43}$/);
    expect(claims.iss).toBe(TEST_ISSUER);
    expect(claims.sub).toBe("identity:assets-writer");
    expect(claims.aud).toBe("sts.amazonaws.com");
    expect(claims.nbf).toBe(claims.iat);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(900);
    expect(Math.abs((claims.iat ?? 0) - Date.now() / 1000)).toBeLessThan(30);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(claims.wid_project).toBe("shop");
    expect(claims.wid_workload).toBe("worker");
  });

  it("uses the pool provider as audience for Google Cloud", async () => {
    const claims = decodeJwt(await mint(["--identity", "uploads-writer"]));
    expect(claims.aud).toBe(GCP_AUDIENCE);
    expect(claims).not.toHaveProperty("wid_project");
  });

  it("gives each token its own jti", async () => {
    const first = decodeJwt(await mint(["--identity", "assets-writer"]));
    const second = decodeJwt(await mint(["--identity", "assets-writer"]));
    expect(first.jti).not.toBe(second.jti);
  });

  it("writes the token file with --out", async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), "wid-token-out-")), "token");
    const result = await runCli(["token", repo, "--keys", keys, "--identity", "assets-writer", "--out", file]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe("");
    const token = await readFile(file, "utf8");
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it("suggests a close identity name", async () => {
    const result = await runCli(["token", repo, "--keys", keys, "--identity", "assets-writr"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("wid: error: identity assets-writr not found in the config; did you mean \"assets-writer\"?\n");
  });

  it("rejects a workload outside the scope", async () => {
    const result = await runCli(["token", repo, "--keys", keys, "--identity", "uploads-writer", "--workload", "shop/worker"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("identity uploads-writer is not available to workload shop/worker");
    expect(result.stderr).toContain("wid explain --workload shop/worker");
  });

  it("rejects a subject longer than 127 bytes", async () => {
    const signer = new TokenSigner(new StaticKeySetSource(await createKeySet("ES256", new Date()), "test"));
    const request = { issuer: TEST_ISSUER, audience: "sts.amazonaws.com", lifetimeSeconds: 600 };
    // "identity:" is 9 bytes, so 118 characters are the longest name that fits.
    await expect(signer.mint({ ...request, identity: "a".repeat(118) })).resolves.toBeDefined();
    await expect(signer.mint({ ...request, identity: "a".repeat(119) })).rejects.toThrow(/longer than 127 bytes, the limit of Google STS/);
  });
});

describe("wid issuer verify", () => {
  it("prints the claims of a valid token and never the token", async () => {
    const token = await mint(["--identity", "assets-writer", "--workload", "shop/worker"]);
    const result = await runCli(["issuer", "verify", token, repo, "--keys", keys, "--format", "json"]);
    expect(result.code, result.stderr).toBe(0);
    const output = JSON.parse(result.stdout) as { valid: boolean; header: { kid: string }; claims: Record<string, unknown> };
    expect(output.valid).toBe(true);
    expect(output.header.kid).toBe(decodeProtectedHeader(token).kid);
    expect(output.claims).toEqual(decodeJwt(token));
    expect(result.stdout).not.toContain(token.split(".")[2]);
  });

  it("reads the token from a file or standard input", async () => {
    const token = await mint(["--identity", "uploads-writer"]);
    const file = path.join(await mkdtemp(path.join(tmpdir(), "wid-verify-")), "token");
    await writeFile(file, `${token}\n`);

    const fromFile = await runCli(["issuer", "verify", file, repo, "--keys", keys]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromFile.stdout).toContain(`aud: ${GCP_AUDIENCE}`);
    const fromStdin = await runCli(["issuer", "verify", "-", repo, "--keys", keys], { input: token });
    expect(fromStdin.code, fromStdin.stderr).toBe(0);
    expect(fromStdin.stdout).toContain("sub: identity:uploads-writer");
  });

  it("checks against a published JWKS file", async () => {
    const token = await mint(["--identity", "assets-writer"]);
    const site = await mkdtemp(path.join(tmpdir(), "wid-verify-site-"));
    expect((await runCli(["issuer", "publish", repo, "--keys", keys, "--out", site])).code).toBe(0);
    const result = await runCli(["issuer", "verify", token, repo, "--jwks", path.join(site, ".well-known", "jwks.json")]);
    expect(result.code, result.stderr).toBe(0);
  });

  it("names the failed check", async () => {
    const token = await mint(["--identity", "assets-writer"]);
    const [header, payload, signature = ""] = token.split(".");
    const tampered = `${header}.${payload}.${signature.startsWith("A") ? "B" : "A"}${signature.slice(1)}`;
    const otherKeys = path.join(await mkdtemp(path.join(tmpdir(), "wid-verify-other-")), "keys.json");
    expect((await runCli(["issuer", "init", "--keys", otherKeys])).code).toBe(0);
    const otherRepo = await writeConfigRepo({ issuer: "https://other.wid.test" });

    const cases: [string[], string][] = [
      [[token, repo, "--keys", keys, "--audience", "api://other"], 'aud is "sts.amazonaws.com", expected one of "api://other"'],
      [[tampered, repo, "--keys", keys], "the signature does not match the key named by kid"],
      [[token, repo, "--keys", otherKeys], "no key of the JWKS matches the token's kid; the key was retired, or the token comes from another issuer"],
      [[token, otherRepo, "--keys", keys], `iss is "${TEST_ISSUER}", expected "https://other.wid.test"`],
      [["not-a-token", repo, "--keys", keys], "the token argument is neither a JWT nor a readable file; pass the token, its file, or - for standard input"],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(["issuer", "verify", ...args]);
      expect(result.code, message).toBe(1);
      expect(result.stderr).toContain(message);
      expect(result.stderr).not.toContain(signature);
    }
  });

  it("reports an expired token with its expiry time", async () => {
    const keySet = await createKeySet("ES256", new Date("2030-01-01T00:00:00Z"));
    const signer = new TokenSigner(new StaticKeySetSource(keySet, "test"), () => new Date("2030-01-01T00:00:00Z"));
    const { token } = await signer.mint({ issuer: TEST_ISSUER, identity: "assets-writer", audience: "sts.amazonaws.com", lifetimeSeconds: 600 });
    const options = { issuer: TEST_ISSUER, audiences: ["sts.amazonaws.com"], jwks: jwks(keySet, new Date("2030-01-01T00:00:00Z")) };

    await expect(verifyIssuerToken(token, { ...options, now: new Date("2030-01-01T00:09:59Z") })).resolves.toBeDefined();
    await expect(verifyIssuerToken(token, { ...options, now: new Date("2030-01-01T00:10:00Z") })).rejects.toThrow(
      "token verification failed: the token expired at 2030-01-01T00:10:00.000Z; mint a new one",
    );
  });

  it("rejects a token before its nbf", async () => {
    const keySet = await createKeySet("ES256", new Date("2030-01-01T00:00:00Z"));
    const signer = new TokenSigner(new StaticKeySetSource(keySet, "test"), () => new Date("2030-01-01T00:00:10Z"));
    const { token } = await signer.mint({ issuer: TEST_ISSUER, identity: "assets-writer", audience: "sts.amazonaws.com", lifetimeSeconds: 600 });
    const options = { issuer: TEST_ISSUER, audiences: ["sts.amazonaws.com"], jwks: jwks(keySet, new Date("2030-01-01T00:00:10Z")) };

    await expect(verifyIssuerToken(token, { ...options, now: new Date("2030-01-01T00:00:10Z") })).resolves.toBeDefined();
    await expect(verifyIssuerToken(token, { ...options, now: new Date("2030-01-01T00:00:09Z") })).rejects.toThrow(
      "token verification failed: the token is not valid before 2030-01-01T00:00:10.000Z; check the clocks",
    );
  });

  it("lists every checked claim in its help", async () => {
    const help = await runCli(["issuer", "verify", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout.replace(/\s+/g, " ")).toContain("verify a token: signature against the JWKS, iss, aud, exp and nbf;");
  });
});
