import { calculateJwkThumbprint, exportJWK, generateKeyPair } from "jose";

import { MAX_TOKEN_LIFETIME_SECONDS } from "../config/model.js";
import { IssuerError } from "./errors.js";
import type { KeySet, SigningAlgorithm, SigningKey } from "./key-set.js";
import { isPublished, RETIRE_MARGIN_SECONDS, signingKey } from "./key-set.js";

/** Modulus length of RS256 keys: 2048 bits, the usual minimum for RSA signatures. */
export const RSA_MODULUS_BITS = 2048;

/**
 * Default time between `wid issuer rotate` and the moment the new key starts signing:
 * ten minutes, twice the JWKS `max-age`, so that verifiers that cached the previous
 * JWKS fetch the new key before they see a token signed with it.
 */
export const DEFAULT_ACTIVATION_DELAY_SECONDS = 600;

/** Generates a key pair for `alg` that activates at `activatesAt`, by default at once. */
export async function generateSigningKey(alg: SigningAlgorithm, now: Date, activatesAt: Date = now): Promise<SigningKey> {
  const pair = await generateKeyPair(alg, { extractable: true, modulusLength: RSA_MODULUS_BITS });
  const privateJwk = await exportJWK(pair.privateKey);
  const publicJwk = await exportJWK(pair.publicKey);
  return {
    kid: await calculateJwkThumbprint(publicJwk, "sha256"),
    alg,
    createdAt: now.toISOString(),
    activatesAt: activatesAt.toISOString(),
    retireAt: null,
    retiredAt: null,
    privateJwk,
    publicJwk,
  };
}

/** Creates a key set with one key that signs from `now` on. */
export async function createKeySet(alg: SigningAlgorithm, now: Date): Promise<KeySet> {
  return { apiVersion: "wid/v1", kind: "IssuerKeySet", keys: [await generateSigningKey(alg, now)] };
}

export interface RotateOptions {
  alg: SigningAlgorithm;
  now: Date;
  /**
   * Seconds until the new key starts signing. Default {@link DEFAULT_ACTIVATION_DELAY_SECONDS}.
   * Ignored when no key signs at `now`: the new key then signs at once.
   */
  activationDelaySeconds?: number;
  /**
   * The longest lifetime of a token that a superseded key may have signed. Default
   * 24 hours, the maximum `tokenLifetime` a config accepts.
   */
  maxTokenLifetimeSeconds?: number;
}

export interface RotateResult {
  keySet: KeySet;
  added: SigningKey;
  /** Keys whose retirement time had passed, recorded as retired by this rotation. */
  retired: SigningKey[];
  /** Pending keys that the new key replaced before they signed anything, now retired. */
  cancelled: SigningKey[];
  /** The key that signed at `now` and stops when `added` activates, with its new `retireAt`. */
  superseded: SigningKey | undefined;
}

/**
 * Adds a new key that takes over from the key signing at `now`, and returns a new key
 * set, leaving `keySet` unchanged. In order:
 *
 * 1. keys whose `retireAt` has passed are recorded as retired;
 * 2. a pending key, added by an earlier rotation and not active yet, is retired at
 *    once: the new key replaces it, so it must never activate later, and it never
 *    signed a token, so no verifier needs it;
 * 3. the key that signs now gets `retireAt` = the new key's activation + the longest
 *    token lifetime + {@link RETIRE_MARGIN_SECONDS}, replacing a time scheduled by the
 *    replaced pending key, because it now stops signing when the new key activates;
 * 4. the new key is appended, so it is the newest and signs from its activation on.
 */
export async function rotateKeySet(keySet: KeySet, options: RotateOptions): Promise<RotateResult> {
  const now = options.now;
  const lifetime = options.maxTokenLifetimeSeconds ?? MAX_TOKEN_LIFETIME_SECONDS;

  const expired = retireExpiredKeys(keySet, now);
  const pending = retirePendingKeys(expired.keySet, now);
  const signer = signingKey(pending.keySet, now);
  const activationDelay = signer === undefined ? 0 : (options.activationDelaySeconds ?? DEFAULT_ACTIVATION_DELAY_SECONDS);
  const activatesAt = new Date(now.getTime() + activationDelay * 1000);
  const retireAt = new Date(activatesAt.getTime() + (lifetime + RETIRE_MARGIN_SECONDS) * 1000).toISOString();
  // A superseded key without a retirement time comes only from an edited file or an
  // older wid. It stopped signing before now, so retiring it one lifetime after now is safe.
  const latestRetireAt = new Date(now.getTime() + (lifetime + RETIRE_MARGIN_SECONDS) * 1000).toISOString();

  const superseded = signer === undefined ? undefined : { ...signer, retireAt };
  const scheduled = pending.keySet.keys.map((key): SigningKey => {
    if (key === signer && superseded !== undefined) return superseded;
    if (isPublished(key, now) && key.retireAt === null) return { ...key, retireAt: latestRetireAt };
    return key;
  });
  const added = await generateSigningKey(options.alg, now, activatesAt);
  return { keySet: { ...keySet, keys: [...scheduled, added] }, added, retired: expired.retired, cancelled: pending.retired, superseded };
}

/**
 * Records the retirement of keys whose `retireAt` has passed: sets `retiredAt` and
 * removes the private key, keeping the entry as a record. Returns a new key set.
 */
export function retireExpiredKeys(keySet: KeySet, now: Date): { keySet: KeySet; retired: SigningKey[] } {
  const retired: SigningKey[] = [];
  const keys = keySet.keys.map((key) => {
    if (key.retiredAt !== null || key.retireAt === null || Date.parse(key.retireAt) > now.getTime()) return key;
    const record: SigningKey = { ...key, retiredAt: now.toISOString(), privateJwk: null };
    retired.push(record);
    return record;
  });
  return { keySet: { ...keySet, keys }, retired };
}

/**
 * Retires the key `kid` at `now`, before its scheduled time: a superseded key that
 * leaked, so that tokens it signed stop verifying as soon as verifiers refetch the
 * JWKS, or a pending key, which cancels its rotation. For a pending key, the key that
 * signs now keeps signing, so its scheduled retirement is dropped. Throws an {@link IssuerError}
 * when the key is unknown, already retired, or the key that signs now, because no
 * other key may take over its signing at once. Returns a new key set.
 */
export function retireKeyNow(keySet: KeySet, kid: string, now: Date): { keySet: KeySet; retired: SigningKey } {
  const key = keySet.keys.find((entry) => entry.kid === kid);
  if (key === undefined) throw new IssuerError(`key ${kid} not found in the key set; list the keys with wid issuer keys`);
  if (!isPublished(key, now)) throw new IssuerError(`key ${kid} is already retired`);
  const signer = signingKey(keySet, now);
  if (signer === key) {
    throw new IssuerError(`key ${kid} signs tokens now; run wid issuer rotate --activate-after 0s first, then retire it`);
  }

  const retired = retiredRecord(key, now);
  const keys = keySet.keys.map((entry) => (entry === key ? retired : entry));
  const result: KeySet = { ...keySet, keys };
  if (signer === undefined || hasNewerPublishedKey(result, signer, now)) return { keySet: result, retired };
  // The retired key was the signer's successor: the signer keeps signing with no end.
  return { keySet: { ...result, keys: keys.map((entry) => (entry === signer ? { ...signer, retireAt: null } : entry)) }, retired };
}

/** Retires every key whose activation time has not come yet. */
function retirePendingKeys(keySet: KeySet, now: Date): { keySet: KeySet; retired: SigningKey[] } {
  const retired: SigningKey[] = [];
  const keys = keySet.keys.map((key) => {
    if (!isPublished(key, now) || Date.parse(key.activatesAt) <= now.getTime()) return key;
    const record = retiredRecord(key, now);
    retired.push(record);
    return record;
  });
  return { keySet: { ...keySet, keys }, retired };
}

function retiredRecord(key: SigningKey, now: Date): SigningKey {
  return { ...key, retireAt: now.toISOString(), retiredAt: now.toISOString(), privateJwk: null };
}

function hasNewerPublishedKey(keySet: KeySet, key: SigningKey, now: Date): boolean {
  const index = keySet.keys.indexOf(key);
  return keySet.keys.slice(index + 1).some((entry) => isPublished(entry, now));
}
