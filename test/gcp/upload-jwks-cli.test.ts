import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { runCli } from "../support/cli.js";
import type { FakeGcp } from "../support/fake-gcp.js";
import { fakeGcpEnv, startFakeGcp } from "../support/fake-gcp.js";
import { createRepo, readStatus } from "./helpers.js";

const PROJECT = { projectId: "wid-test-project", projectNumber: "123456789012" };

interface Jwks {
  keys: { kid?: string; d?: string }[];
}

describe("uploadJwks from the CLI", () => {
  let fake: FakeGcp;
  let repo: string;
  let work: string;
  let keys: string;
  let env: Record<string, string>;

  beforeEach(async () => {
    fake = await startFakeGcp({ projects: [PROJECT] });
    work = await mkdtemp(path.join(tmpdir(), "wid-gcp-jwks-"));
    env = await fakeGcpEnv(fake, work);
    keys = path.join(work, "keys.json");
    repo = await createRepo({ integrations: [{ name: "gcp-prod", project: PROJECT, uploadJwks: true }], identities: [{ name: "reader", permissions: ["storage.objects.get"] }] });
    expect((await runCli(["issuer", "init", "--keys", keys])).code).toBe(0);
  });
  afterEach(async () => {
    await fake.stop();
    await rm(repo, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  /** Runs wid issuer publish and returns the JWKS file it writes and its content. */
  async function publishedJwks(): Promise<{ file: string; jwks: Jwks }> {
    const out = path.join(work, "published");
    expect((await runCli(["issuer", "publish", repo, "--keys", keys, "--out", out])).code).toBe(0);
    const file = path.join(out, ".well-known", "jwks.json");
    return { file, jwks: JSON.parse(await readFile(file, "utf8")) as Jwks };
  }

  function uploadedJwks(): Jwks {
    return JSON.parse(fake.provider(PROJECT.projectId, "wid-pool", "wid-issuer")?.oidc.jwksJson ?? "{}") as Jwks;
  }

  it("uploads the key file's public keys", async () => {
    const planned = await runCli(["plan", repo, "--issuer-keys", keys], { env });
    expect(planned.stderr).toBe("");
    expect(planned.code).toBe(2);

    const applied = await runCli(["apply", repo, "--issuer-keys", keys], { env });
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    const { jwks } = await publishedJwks();
    expect(uploadedJwks().keys.map((key) => key.kid)).toEqual(jwks.keys.map((key) => key.kid));
    expect(uploadedJwks().keys.every((key) => key.d === undefined)).toBe(true);
    const keyFile = JSON.parse(await readFile(keys, "utf8")) as { keys: { privateJwk: { d: string } }[] };
    expect(fake.provider(PROJECT.projectId, "wid-pool", "wid-issuer")?.oidc.jwksJson).not.toContain(keyFile.keys[0]?.privateJwk.d);
    expect((await readStatus(repo)).identities.reader?.state).toBe("installed");

    const again = await runCli(["plan", repo, "--issuer-keys", keys], { env });
    expect(again.stdout).toContain("Plan: 0 to create, 0 to update, 0 to delete.");
    expect(again.code).toBe(0);
  });

  it("reads the keys from the environment by default", async () => {
    const withFile = { ...env, WID_ISSUER_KEYS_FILE: keys };
    expect((await runCli(["apply", repo], { env: withFile })).code).toBe(0);

    // The published JWKS contains the same public keys, so it plans no change.
    const { file } = await publishedJwks();
    expect((await runCli(["plan", repo, "--issuer-keys", file], { env })).code).toBe(0);
    expect((await runCli(["plan", repo], { env: { ...env, WID_ISSUER_KEYS: await readFile(file, "utf8") } })).code).toBe(0);
  });

  it("plans an update after a rotation", async () => {
    expect((await runCli(["apply", repo, "--issuer-keys", keys], { env })).code).toBe(0);
    expect((await runCli(["issuer", "rotate", "--keys", keys])).code).toBe(0);

    const planned = await runCli(["plan", repo, "--issuer-keys", keys], { env });
    expect(planned.code).toBe(2);
    expect(planned.stdout).toContain("update workload-identity-pool-provider/wid-issuer");
    expect(planned.stdout).toContain("the issuer's signing keys changed");

    expect((await runCli(["apply", repo, "--issuer-keys", keys], { env })).code).toBe(0);
    const { jwks } = await publishedJwks();
    expect(jwks.keys).toHaveLength(2);
    expect(uploadedJwks().keys.map((key) => key.kid).sort()).toEqual(jwks.keys.map((key) => key.kid).sort());
  });

  it("fails the integration without keys", async () => {
    const missing = await runCli(["plan", repo], { env });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain("uploadJwks is true, but no issuer key set is available; pass --issuer-keys FILE");

    const unreadable = await runCli(["apply", repo, "--issuer-keys", path.join(work, "absent.json")], { env });
    expect(unreadable.code).toBe(1);
    expect(unreadable.stdout).toContain(`the issuer key set cannot be read: key file ${path.join(work, "absent.json")} not found`);
    expect(fake.writes()).toEqual([]);
  });
});
