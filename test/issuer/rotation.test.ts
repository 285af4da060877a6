import { describe, expect, it } from "vitest";

import { jwks } from "../../src/issuer/discovery.js";
import { parseKeySet, serializeKeySet } from "../../src/issuer/key-file.js";
import { createKeySet, retireExpiredKeys, retireKeyNow, rotateKeySet } from "../../src/issuer/key-rotation.js";
import type { KeySet } from "../../src/issuer/key-set.js";
import { keyState, RETIRE_MARGIN_SECONDS, signingKey } from "../../src/issuer/key-set.js";
import { StaticKeySetSource } from "../../src/issuer/key-source.js";
import { TokenSigner } from "../../src/issuer/token.js";
import { verifyIssuerToken } from "../../src/issuer/verify.js";

const ISSUER = "https://oidc.wid.test";
const AUDIENCE = "sts.amazonaws.com";
const LIFETIME = 600;
const T0 = new Date("2030-01-01T00:00:00Z");

function at(seconds: number): Date {
  return new Date(T0.getTime() + seconds * 1000);
}

async function mintAt(keySet: KeySet, seconds: number): Promise<string> {
  const signer = new TokenSigner(new StaticKeySetSource(keySet, "test"), () => at(seconds));
  return (await signer.mint({ issuer: ISSUER, identity: "reports", audience: AUDIENCE, lifetimeSeconds: LIFETIME })).token;
}

/** Verifies `token` at time `seconds` against the JWKS published at that time. */
function verifyAt(keySet: KeySet, token: string, seconds: number): Promise<unknown> {
  return verifyIssuerToken(token, { issuer: ISSUER, audiences: [AUDIENCE], jwks: jwks(keySet, at(seconds)), now: at(seconds) });
}

function publishedKids(keySet: KeySet, seconds: number): (string | undefined)[] {
  return jwks(keySet, at(seconds)).keys.map((key) => key.kid);
}

describe("key rotation", () => {
  it("keeps the old key published until its tokens expire", async () => {
    const initial = await createKeySet("RS256", T0);
    const oldKid = initial.keys[0]?.kid;
    const beforeRotation = await mintAt(initial, 0);

    // Rotate at 60 s: the new key signs from 360 s; the old one retires at 360 + 600 + 300 s.
    const { keySet, added } = await rotateKeySet(initial, { alg: "ES256", now: at(60), activationDelaySeconds: 300, maxTokenLifetimeSeconds: LIFETIME });
    const retireAt = 360 + LIFETIME + RETIRE_MARGIN_SECONDS;
    expect(keySet.keys.find((key) => key.kid === oldKid)?.retireAt).toBe(at(retireAt).toISOString());
    expect(added.activatesAt).toBe(at(360).toISOString());

    // Until the new key activates, the old one still signs; both are published.
    expect(signingKey(keySet, at(359))?.kid).toBe(oldKid);
    expect(keyState(keySet, added, at(359))).toBe("pending");
    expect(publishedKids(keySet, 359)).toEqual([oldKid, added.kid]);
    const lastOldToken = await mintAt(keySet, 359);

    // After activation the new key signs and the old one is superseded, still published.
    expect(signingKey(keySet, at(360))?.kid).toBe(added.kid);
    expect(keyState(keySet, keySet.keys[0] ?? added, at(360))).toBe("superseded");
    const newToken = await mintAt(keySet, 360);
    await expect(verifyAt(keySet, newToken, 361)).resolves.toBeDefined();

    // Tokens signed before the rotation verify until they expire, and not after.
    await expect(verifyAt(keySet, beforeRotation, LIFETIME - 1)).resolves.toBeDefined();
    await expect(verifyAt(keySet, beforeRotation, LIFETIME + 1)).rejects.toThrow(/expired/);
    await expect(verifyAt(keySet, lastOldToken, 359 + LIFETIME - 1)).resolves.toBeDefined();

    // At the retirement time the JWKS lists only the new key.
    expect(publishedKids(keySet, retireAt - 1)).toEqual([oldKid, added.kid]);
    expect(publishedKids(keySet, retireAt)).toEqual([added.kid]);
    await expect(verifyAt(keySet, lastOldToken, retireAt)).rejects.toThrow(/no key of the JWKS matches/);
  });

  it("records retirement and drops the private key", async () => {
    const initial = await createKeySet("ES256", T0);
    const { keySet } = await rotateKeySet(initial, { alg: "ES256", now: at(0), activationDelaySeconds: 0, maxTokenLifetimeSeconds: LIFETIME });
    const retireAt = LIFETIME + RETIRE_MARGIN_SECONDS;

    expect(retireExpiredKeys(keySet, at(retireAt - 1)).retired).toEqual([]);
    const { keySet: retiredSet, retired } = retireExpiredKeys(keySet, at(retireAt));
    expect(retired.map((key) => key.kid)).toEqual([initial.keys[0]?.kid]);
    const record = retiredSet.keys[0];
    expect(record?.privateJwk).toBeNull();
    expect(record?.retiredAt).toBe(at(retireAt).toISOString());
    expect(serializeKeySet(retiredSet)).not.toContain(initial.keys[0]?.privateJwk?.d);

    // The retired record survives a write and a read, and stays unpublished.
    const reread = await parseKeySet(serializeKeySet(retiredSet), "keys.json");
    expect(reread).toEqual(retiredSet);
    expect(publishedKids(reread, 0)).toEqual([retiredSet.keys[1]?.kid]);
  });

  it("defaults to retiring after the longest allowed lifetime", async () => {
    const { keySet } = await rotateKeySet(await createKeySet("ES256", T0), { alg: "ES256", now: T0 });
    // Ten minutes of activation delay, 24 hours of lifetime, five minutes of margin.
    expect(keySet.keys[0]?.retireAt).toBe(at(600 + 86_400 + 300).toISOString());
  });

  it("schedules every earlier key on a second rotation", async () => {
    const first = await rotateKeySet(await createKeySet("RS256", T0), { alg: "ES256", now: at(0), activationDelaySeconds: 0, maxTokenLifetimeSeconds: LIFETIME });
    const second = await rotateKeySet(first.keySet, { alg: "ES256", now: at(100), activationDelaySeconds: 0, maxTokenLifetimeSeconds: LIFETIME });
    const [original, middle, newest] = second.keySet.keys;

    // The original key keeps its first retirement time; the middle key gets one now.
    expect(original?.retireAt).toBe(at(LIFETIME + RETIRE_MARGIN_SECONDS).toISOString());
    expect(middle?.retireAt).toBe(at(100 + LIFETIME + RETIRE_MARGIN_SECONDS).toISOString());
    expect(signingKey(second.keySet, at(100))?.kid).toBe(newest?.kid);
    expect(publishedKids(second.keySet, 100)).toEqual([original?.kid, middle?.kid, newest?.kid]);
  });

  it("retires a leaked key at once", async () => {
    const initial = await createKeySet("RS256", T0);
    const leaked = initial.keys[0]?.kid ?? "";
    const leakedToken = await mintAt(initial, 0);
    expect(() => retireKeyNow(initial, leaked, at(10))).toThrow(`key ${leaked} signs tokens now; run wid issuer rotate --activate-after 0s first, then retire it`);

    const { keySet } = await rotateKeySet(initial, { alg: "RS256", now: at(10), activationDelaySeconds: 0 });
    const { keySet: cleaned, retired } = retireKeyNow(keySet, leaked, at(20));
    expect(retired.privateJwk).toBeNull();
    expect(publishedKids(cleaned, 20)).toEqual([keySet.keys[1]?.kid]);
    await expect(verifyAt(cleaned, leakedToken, 20)).rejects.toThrow(/no key of the JWKS matches/);
    expect(() => retireKeyNow(cleaned, leaked, at(30))).toThrow(`key ${leaked} is already retired`);
    expect(() => retireKeyNow(cleaned, "unknown", at(30))).toThrow("key unknown not found in the key set; list the keys with wid issuer keys");
  });

  for (const delay of [600, 15]) {
    it(`replaces a pending key on an emergency rotation (${delay} s)`, async () => {
      // The leaked-key steps while a routine rotation is pending: rotate with a delay,
      // rotate again at once, retire the old key.
      const initial = await createKeySet("RS256", T0);
      const old = initial.keys[0]?.kid ?? "";
      const routine = await rotateKeySet(initial, { alg: "RS256", now: at(0), activationDelaySeconds: delay, maxTokenLifetimeSeconds: LIFETIME });
      const emergency = await rotateKeySet(routine.keySet, { alg: "RS256", now: at(1), activationDelaySeconds: 0, maxTokenLifetimeSeconds: LIFETIME });
      const { keySet } = retireKeyNow(emergency.keySet, old, at(2));
      const [, replaced, current] = keySet.keys;

      // The routine key is retired at once: it never signed, and it must never activate.
      expect(emergency.cancelled.map((key) => key.kid)).toEqual([routine.added.kid]);
      expect(replaced?.kid).toBe(routine.added.kid);
      expect(replaced?.retiredAt).toBe(at(1).toISOString());
      expect(replaced?.privateJwk).toBeNull();
      expect(current?.kid).toBe(emergency.added.kid);

      // Before, at and long after the routine key's activation time, the emergency key
      // signs with no retirement scheduled, and the routine key stays retired.
      for (const seconds of [2, delay - 1, delay, delay + 1, delay + LIFETIME + RETIRE_MARGIN_SECONDS, 86_400 * 3]) {
        expect(signingKey(keySet, at(seconds))?.kid, `at ${seconds} s`).toBe(emergency.added.kid);
        expect(keySet.keys.map((key) => keyState(keySet, key, at(seconds))), `at ${seconds} s`).toEqual(["retired", "retired", "active"]);
        expect(publishedKids(keySet, seconds)).toEqual([emergency.added.kid]);
      }
      expect(current?.retireAt).toBeNull();
    });
  }

  it("retires the old key from the moment the emergency key signs", async () => {
    const initial = await createKeySet("ES256", T0);
    const routine = await rotateKeySet(initial, { alg: "ES256", now: at(0), activationDelaySeconds: 600, maxTokenLifetimeSeconds: LIFETIME });
    expect(routine.keySet.keys[0]?.retireAt).toBe(at(600 + LIFETIME + RETIRE_MARGIN_SECONDS).toISOString());

    // The old key now stops signing at 1 s instead of 600 s, so it retires earlier.
    const emergency = await rotateKeySet(routine.keySet, { alg: "ES256", now: at(1), activationDelaySeconds: 0, maxTokenLifetimeSeconds: LIFETIME });
    expect(emergency.superseded?.kid).toBe(initial.keys[0]?.kid);
    expect(emergency.keySet.keys[0]?.retireAt).toBe(at(1 + LIFETIME + RETIRE_MARGIN_SECONDS).toISOString());
  });

  it("delays the old key's retirement when a later rotation activates later", async () => {
    const initial = await createKeySet("ES256", T0);
    const first = await rotateKeySet(initial, { alg: "ES256", now: at(0), activationDelaySeconds: 15, maxTokenLifetimeSeconds: LIFETIME });
    const second = await rotateKeySet(first.keySet, { alg: "ES256", now: at(10), activationDelaySeconds: 600, maxTokenLifetimeSeconds: LIFETIME });

    // The first pending key never activates, so the old key signs until 610 s.
    expect(signingKey(second.keySet, at(609))?.kid).toBe(initial.keys[0]?.kid);
    expect(signingKey(second.keySet, at(610))?.kid).toBe(second.added.kid);
    expect(second.keySet.keys[0]?.retireAt).toBe(at(610 + LIFETIME + RETIRE_MARGIN_SECONDS).toISOString());
  });

  it("keeps the signer when its pending successor is retired", async () => {
    const initial = await createKeySet("ES256", T0);
    const { keySet, added } = await rotateKeySet(initial, { alg: "ES256", now: at(0), activationDelaySeconds: 600, maxTokenLifetimeSeconds: LIFETIME });
    const { keySet: cancelled } = retireKeyNow(keySet, added.kid, at(10));

    expect(cancelled.keys[0]?.retireAt).toBeNull();
    expect(signingKey(cancelled, at(86_400 * 3))?.kid).toBe(initial.keys[0]?.kid);
    expect(publishedKids(cancelled, 10)).toEqual([initial.keys[0]?.kid]);
  });

  it("rejects retiring the signing key while an older key is published", async () => {
    const initial = await createKeySet("ES256", T0);
    const { keySet, added } = await rotateKeySet(initial, { alg: "ES256", now: at(0), activationDelaySeconds: 0, maxTokenLifetimeSeconds: LIFETIME });
    // The superseded key must not sign again: its tokens would outlive its retirement.
    expect(() => retireKeyNow(keySet, added.kid, at(10))).toThrow(`key ${added.kid} signs tokens now; run wid issuer rotate --activate-after 0s first, then retire it`);
  });

  it("activates at once when no key can sign", async () => {
    const initial = await createKeySet("ES256", T0);
    const stale: KeySet = { ...initial, keys: initial.keys.map((key) => ({ ...key, retiredAt: at(0).toISOString(), privateJwk: null })) };
    const rotated = await rotateKeySet(stale, { alg: "ES256", now: at(5), activationDelaySeconds: 600, maxTokenLifetimeSeconds: LIFETIME });

    expect(rotated.superseded).toBeUndefined();
    expect(rotated.added.activatesAt).toBe(at(5).toISOString());
    expect(signingKey(rotated.keySet, at(5))?.kid).toBe(rotated.added.kid);
  });
});
