/**
 * The issuer's signing keys and their life cycle. Every state of a key is derived from
 * its timestamps, its place in the file and the current time. A long-running server
 * therefore publishes and signs with the right key without anyone rewriting the file
 * at the moment a state changes.
 *
 * A key is
 * - pending from `createdAt` until `activatesAt`: published, not used for signing yet,
 *   so that verifiers that cached the JWKS see it before the first token it signs;
 * - active while it is the newest published key whose `activatesAt` has passed: it
 *   signs new tokens. Its `retireAt` is null, or, while a pending key is about to take
 *   over, the pending key's activation plus the longest token lifetime and a margin;
 * - superseded once a newer key activates: still published until `retireAt`, signs
 *   nothing, and never signs again;
 * - retired from `retireAt`, or from `retiredAt` once a command recorded it: no longer
 *   published, and its private key is removed from the file.
 *
 * The commands in `key-rotation.ts` keep the set consistent: at most one key is
 * pending, because a rotation retires the pending key it replaces, so exactly one key
 * signs at any time and a key's `retireAt` is set only for the moment it stops signing.
 *
 * NOTE: a file written by an older wid may list a pending key before a newer active
 * one. That key never signs: it shows as pending, then as superseded until its
 * `retireAt`, and the next `wid issuer rotate` retires it if it is still pending.
 */

import type { JWK } from "jose";

/**
 * Signing algorithms of the issuer: RS256, the one every OIDC verifier supports, and
 * ES256, whose keys and signatures are smaller and faster to make.
 */
export type SigningAlgorithm = "RS256" | "ES256";
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ["RS256", "ES256"];

/** Algorithm of keys that `wid issuer init` and `wid issuer rotate` create unless told otherwise. */
export const DEFAULT_SIGNING_ALGORITHM: SigningAlgorithm = "RS256";

/**
 * Extra time a superseded key stays published after the last token it signed expires,
 * for verifiers whose clocks run behind. NOTE: five minutes is an estimate of the skew
 * to allow for, not a value documented by AWS or Google.
 */
export const RETIRE_MARGIN_SECONDS = 300;

export interface SigningKey {
  /** Key ID, the RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key. */
  kid: string;
  alg: SigningAlgorithm;
  /**
   * When the key was created, as an ISO 8601 timestamp. Null for a key read from a PEM
   * private key, which records no creation time.
   */
  createdAt: string | null;
  /**
   * When the key starts signing tokens. Equal to `createdAt` for the first key, and the
   * Unix epoch for a key read from a PEM private key, which is always active.
   */
  activatesAt: string;
  /**
   * When the key stops being published: the moment it stops signing (the activation of
   * its successor) plus the longest token lifetime plus {@link RETIRE_MARGIN_SECONDS}.
   * Null while no successor exists. For a key retired before its time, the moment of
   * the retirement.
   */
  retireAt: string | null;
  /** When a command recorded the retirement and removed the private key, or null. */
  retiredAt: string | null;
  /** The private key as a JWK, or null once the key is retired. */
  privateJwk: JWK | null;
  /** The public key as a JWK, without `kid`, `alg` or `use`; {@link publicJwk} adds them. */
  publicJwk: JWK;
}

/** The content of a key set file: every key the issuer has had, oldest first. */
export interface KeySet {
  apiVersion: "wid/v1";
  kind: "IssuerKeySet";
  keys: SigningKey[];
}

export type KeyState = "pending" | "active" | "superseded" | "retired";

/** Whether `key` is published at `now`: not retired by time or by record. */
export function isPublished(key: SigningKey, now: Date): boolean {
  if (key.retiredAt !== null || key.privateJwk === null) return false;
  return key.retireAt === null || Date.parse(key.retireAt) > now.getTime();
}

/**
 * Returns the key that signs tokens at `now`: the newest published key, the last in
 * the file, whose activation time has come. An older key therefore never takes over
 * from a newer one, whatever their activation times. Undefined when no key qualifies.
 */
export function signingKey(keySet: KeySet, now: Date): SigningKey | undefined {
  for (let index = keySet.keys.length - 1; index >= 0; index--) {
    const key = keySet.keys[index];
    if (key !== undefined && isPublished(key, now) && Date.parse(key.activatesAt) <= now.getTime()) return key;
  }
  return undefined;
}

/** Returns the keys published in the JWKS at `now`, oldest first. */
export function publishedKeys(keySet: KeySet, now: Date): SigningKey[] {
  return keySet.keys.filter((key) => isPublished(key, now));
}

/** Returns the state of `key` within `keySet` at `now`. */
export function keyState(keySet: KeySet, key: SigningKey, now: Date): KeyState {
  if (!isPublished(key, now)) return "retired";
  if (Date.parse(key.activatesAt) > now.getTime()) return "pending";
  return signingKey(keySet, now)?.kid === key.kid ? "active" : "superseded";
}

/** Members of an RSA or EC public key. The JWKS leaves out every other member, such as the private `d`. */
const PUBLIC_JWK_FIELDS = ["kty", "crv", "x", "y", "n", "e"] as const;

/**
 * The public JWK of `key` as published in the JWKS, with `kid`, `alg` and `use`. Only
 * public members are copied, so a key set whose `publicJwk` was edited to contain the
 * private key, or built that way by a library caller, never publishes it.
 */
export function publicJwk(key: SigningKey): JWK {
  const jwk: JWK = {};
  for (const name of PUBLIC_JWK_FIELDS) {
    const value = key.publicJwk[name];
    if (typeof value === "string") jwk[name] = value;
  }
  return { ...jwk, kid: key.kid, alg: key.alg, use: "sig" };
}
