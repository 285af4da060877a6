import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { runCli } from "../support/cli.js";
import type { FakeSts } from "../support/fake-google-sts.js";
import { startFakeGoogleSts } from "../support/fake-google-sts.js";
import type { ServeProcess } from "../issuer/support/serve.js";
import { startServe } from "../issuer/support/serve.js";
import { parseEnvFile, runNodeScript } from "./support/child.js";
import { GCP_PROJECT, TEST_ISSUER, writeConfigRepo } from "./support/config-repo.js";

const CHILD = fileURLToPath(new URL("./fixtures/gcp-access-token.mjs", import.meta.url));
const AUDIENCE = `//iam.googleapis.com/projects/${GCP_PROJECT.projectNumber}/locations/global/workloadIdentityPools/${GCP_PROJECT.poolId}/providers/${GCP_PROJECT.providerId}`;

describe("Google Cloud credentials", () => {
  let repo: string;
  let keys: string;
  let serve: ServeProcess;
  const stopped: FakeSts[] = [];

  beforeAll(async () => {
    repo = await writeConfigRepo();
    keys = path.join(await mkdtemp(path.join(tmpdir(), "wid-gcp-keys-")), "keys.json");
    expect((await runCli(["issuer", "init", "--keys", keys, "--alg", "ES256"])).code).toBe(0);
    serve = await startServe(repo, keys);
  });

  afterAll(async () => {
    for (const sts of stopped) await sts.stop();
    await serve?.stop();
  });

  async function writeCredentials(tokenUrl: string): Promise<string> {
    const out = await mkdtemp(path.join(tmpdir(), "wid-gcp-out-"));
    const result = await runCli(["credentials", repo, "--workload", "shop/api", "--out", out, "--keys", keys, "--gcp-token-url", tokenUrl]);
    expect(result.code, result.stderr).toBe(0);
    return out;
  }

  it("exchanges the token through the Google library", async () => {
    const sts = await startFakeGoogleSts({ issuer: TEST_ISSUER, audience: AUDIENCE, jwks: new URL(`${serve.url}/.well-known/jwks.json`) });
    stopped.push(sts);
    const out = await writeCredentials(sts.tokenUrl);

    const env = parseEnvFile(await readFile(path.join(out, "gcp.env"), "utf8"));
    expect(env).toEqual({ GOOGLE_APPLICATION_CREDENTIALS: path.join(out, "gcp-credentials.json"), GOOGLE_CLOUD_PROJECT: GCP_PROJECT.projectId });
    const config = JSON.parse(await readFile(path.join(out, "gcp-credentials.json"), "utf8")) as Record<string, unknown>;
    expect(config).toEqual({
      type: "external_account",
      audience: AUDIENCE,
      subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
      token_url: sts.tokenUrl,
      credential_source: { file: path.join(out, "gcptoken"), format: { type: "text" } },
    });
    const token = await readFile(path.join(out, "gcptoken"), "utf8");
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(token.endsWith("\n")).toBe(false);

    const child = await runNodeScript(CHILD, env);
    expect(child.code, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({ client: "IdentityPoolClient", accessToken: "fake-access-token-1", projectId: GCP_PROJECT.projectId });

    expect(sts.rejections).toEqual([]);
    expect(sts.exchanges).toHaveLength(1);
    const [exchange] = sts.exchanges;
    expect(exchange?.claims.sub).toBe("identity:uploads-writer");
    expect(exchange?.claims.aud).toBe(AUDIENCE);
    expect(exchange?.claims.iss).toBe(TEST_ISSUER);
    expect(exchange?.claims.wid_project).toBe("shop");
    expect(exchange?.claims.wid_workload).toBe("api");
    expect(exchange?.scope).toBe("https://www.googleapis.com/auth/cloud-platform");
  });

  it("is rejected by a provider of another audience", async () => {
    const otherAudience = AUDIENCE.replace(GCP_PROJECT.providerId, "other-provider");
    const sts = await startFakeGoogleSts({ issuer: TEST_ISSUER, audience: otherAudience, jwks: new URL(`${serve.url}/.well-known/jwks.json`) });
    stopped.push(sts);
    const out = await writeCredentials(sts.tokenUrl);

    const child = await runNodeScript(CHILD, parseEnvFile(await readFile(path.join(out, "gcp.env"), "utf8")));
    expect(child.code).not.toBe(0);
    expect(sts.exchanges).toEqual([]);
    expect(sts.rejections).toEqual([`audience ${AUDIENCE} is not the pool provider`]);
  });

  it("is rejected when the signing key is not published", async () => {
    const foreignKeys = path.join(await mkdtemp(path.join(tmpdir(), "wid-gcp-foreign-")), "keys.json");
    expect((await runCli(["issuer", "init", "--keys", foreignKeys])).code).toBe(0);
    const sts = await startFakeGoogleSts({ issuer: TEST_ISSUER, audience: AUDIENCE, jwks: new URL(`${serve.url}/.well-known/jwks.json`) });
    stopped.push(sts);
    const out = await mkdtemp(path.join(tmpdir(), "wid-gcp-out-"));
    const written = await runCli(["credentials", repo, "--workload", "shop/api", "--out", out, "--keys", foreignKeys, "--gcp-token-url", sts.tokenUrl]);
    expect(written.code, written.stderr).toBe(0);

    const child = await runNodeScript(CHILD, parseEnvFile(await readFile(path.join(out, "gcp.env"), "utf8")));
    expect(child.code).not.toBe(0);
    expect(sts.exchanges).toEqual([]);
    expect(sts.rejections).toHaveLength(1);
    expect(sts.rejections[0]).toContain("subject token rejected");
  });
});
