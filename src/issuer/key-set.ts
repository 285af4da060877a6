/**
 * The issuer's signing keys and their life cycle. Every state of a key is derived from
 * its timestamps and the current time, so a long-running server publishes and signs
 * with the right key without anyone rewriting the file at the moment a state changes.
 *
 * A key is
 * - pending from `createdAt` until `activatesAt`: published, not used for signing yet,
 *   so that verifiers that cached the JWKS see it before the first token it signs;
 * - active from `activatesAt` while it is the newest activated key: it signs new tokens;
 * - superseded once a newer key activates: still published, signs nothing;
 * - retired from `retireAt`, or from `retiredAt` once `wid issuer retire` or
 *   `wid issuer rotate` recorded it: no longer published, and its private key is
 *   removed from the file.
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
  /** When the key was created, as an ISO 8601 timestamp. */
  createdAt: string;
  /** When the key starts signing tokens. Equal to `createdAt` for the first key. */
  activatesAt: string;
  /**
   * When the key stops being published: the activation of its successor plus the
   * longest token lifetime plus {@link RETIRE_MARGIN_SECONDS}. Null while no successor exists.
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
 * Returns the key that signs tokens at `now`: of the published keys whose activation
 * time has come, the one that activated last. Undefined when no key qualifies.
 */
export function signingKey(keySet: KeySet, now: Date): SigningKey | undefined {
  let chosen: SigningKey | undefined;
  for (const key of keySet.keys) {
    if (!isPublished(key, now) || Date.parse(key.activatesAt) > now.getTime()) continue;
    if (chosen === undefined || Date.parse(key.activatesAt) >= Date.parse(chosen.activatesAt)) chosen = key;
  }
  return chosen;
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

/** The public JWK of `key` as published in the JWKS, with `kid`, `alg` and `use`. */
export function publicJwk(key: SigningKey): JWK {
  return { ...key.publicJwk, kid: key.kid, alg: key.alg, use: "sig" };
}
