import { exportJWK, generateKeyPair } from "jose";
import type { JWK } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { canonicalJwks, JwksError } from "../../src/providers/gcp/jwks.js";
import type { FakeGcp } from "../support/fake-gcp.js";
import { startFakeGcp } from "../support/fake-gcp.js";
import { createRepo, removeRepo, run } from "./helpers.js";

const PROJECT = { projectId: "wid-test-project", projectNumber: "123456789012" };

async function signingKey(kid: string): Promise<{ publicJwk: JWK; privateJwk: JWK }> {
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  return { publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" }, privateJwk: { ...(await exportJWK(privateKey)), kid, alg: "ES256", use: "sig" } };
}

describe("canonicalJwks", () => {
  it("keeps only public members and sorts keys by kid", async () => {
    const first = await signingKey("key-b");
    const second = await signingKey("key-a");
    const text = canonicalJwks({ keys: [first.privateJwk, { ...second.publicJwk, x5c: ["cert"] }] });
    const parsed: unknown = JSON.parse(text);
    expect(parsed).toEqual({
      keys: [
        { kty: "EC", alg: "ES256", use: "sig", kid: "key-a", x: second.publicJwk.x, y: second.publicJwk.y, crv: "P-256" },
        { kty: "EC", alg: "ES256", use: "sig", kid: "key-b", x: first.publicJwk.x, y: first.publicJwk.y, crv: "P-256" },
      ],
    });
    expect(text).not.toContain(String(first.privateJwk.d));
  });

  it("rejects a key set without usable keys", () => {
    expect(() => canonicalJwks({ keys: [] })).toThrow(JwksError);
    expect(() => canonicalJwks({ keys: [{ kty: "oct", k: "secret" }] })).toThrow('key 0 has kty "oct"; Google accepts only RSA and EC keys');
    expect(() => canonicalJwks("not a key set")).toThrow(JwksError);
  });
});

describe("Google Cloud provider with an uploaded JWKS", () => {
  let fake: FakeGcp;
  let repo: string;

  beforeEach(async () => {
    fake = await startFakeGcp({ projects: [PROJECT] });
    repo = await createRepo({ integrations: [{ name: "gcp-prod", project: PROJECT, uploadJwks: true }], identities: [{ name: "reader", permissions: ["storage.objects.get"] }] });
  });
  afterEach(async () => {
    await removeRepo(repo);
    await fake.stop();
  });

  it("uploads keys and follows a rotation", async () => {
    const current = await signingKey("2026-01");
    let keySet: { keys: JWK[] } = { keys: [current.privateJwk] };
    const options = { issuerKeySet: () => keySet };

    expect((await run(fake, repo, "apply", options)).outcome).toBe("applied");
    const uploaded = fake.provider(PROJECT.projectId, "wid-pool", "wid-issuer")?.oidc.jwksJson ?? "";
    expect(JSON.parse(uploaded)).toEqual({ keys: [{ kty: "EC", alg: "ES256", use: "sig", kid: "2026-01", x: current.publicJwk.x, y: current.publicJwk.y, crv: "P-256" }] });
    expect(uploaded).not.toContain(String(current.privateJwk.d));
    expect((await run(fake, repo, "plan", options)).outcome).toBe("no-changes");

    const next = await signingKey("2026-02");
    keySet = { keys: [current.publicJwk, next.publicJwk] };
    fake.resetCalls();
    const planned = await run(fake, repo, "plan", options);
    expect(planned.plan?.changes).toEqual([
      expect.objectContaining({
        action: "update",
        resource: "workload-identity-pool-provider/wid-issuer",
        reason: "the issuer's signing keys changed",
        diff: { attributes: ["uploaded JWKS: keys 2026-01 -> keys 2026-01, 2026-02"] },
      }),
    ]);
    expect((await run(fake, repo, "apply", options)).outcome).toBe("applied");
    expect(fake.requests().find((entry) => entry.method.endsWith("providers.patch"))?.query.updateMask).toBe("oidc.jwksJson");
    expect(JSON.parse(fake.provider(PROJECT.projectId, "wid-pool", "wid-issuer")?.oidc.jwksJson ?? "").keys).toHaveLength(2);
  });

  it("fails the integration when no key set is available", async () => {
    const planned = await run(fake, repo, "plan");
    expect(planned.plan?.failedIntegrations).toEqual([
      expect.objectContaining({ integration: "gcp-prod", message: expect.stringContaining("uploadJwks is true, but no issuer key set is available") }),
    ]);
    expect(fake.writes()).toEqual([]);
  });
});
