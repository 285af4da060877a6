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
  /** Seconds until the new key starts signing. Default {@link DEFAULT_ACTIVATION_DELAY_SECONDS}. */
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
  /** Keys whose retirement was recorded by this rotation. */
  retired: SigningKey[];
}

/**
 * Adds a new key and schedules the retirement of every earlier key: each stays
 * published until the new key has signed for as long as the longest token lifetime,
 * plus {@link RETIRE_MARGIN_SECONDS}, so every token the earlier keys signed has expired
 * by then. Keys whose retirement time has passed are retired. Returns a new key set
 * and leaves `keySet` unchanged.
 */
export async function rotateKeySet(keySet: KeySet, options: RotateOptions): Promise<RotateResult> {
  const activationDelay = options.activationDelaySeconds ?? DEFAULT_ACTIVATION_DELAY_SECONDS;
  const lifetime = options.maxTokenLifetimeSeconds ?? MAX_TOKEN_LIFETIME_SECONDS;
  const activatesAt = new Date(options.now.getTime() + activationDelay * 1000);
  const retireAt = new Date(activatesAt.getTime() + (lifetime + RETIRE_MARGIN_SECONDS) * 1000).toISOString();

  const added = await generateSigningKey(options.alg, options.now, activatesAt);
  const scheduled = keySet.keys.map((key) => (key.retiredAt === null && key.retireAt === null ? { ...key, retireAt } : key));
  const { keySet: rotated, retired } = retireExpiredKeys({ ...keySet, keys: [...scheduled, added] }, options.now);
  return { keySet: rotated, added, retired };
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
 * Retires the key `kid` at `now`, before its scheduled time, for a key that leaked:
 * tokens it signed stop verifying as soon as verifiers refetch the JWKS. Throws an
 * {@link IssuerError} when the key is unknown or already retired, or when no other key
 * could sign after it is gone. Returns a new key set.
 */
export function retireKeyNow(keySet: KeySet, kid: string, now: Date): { keySet: KeySet; retired: SigningKey } {
  const key = keySet.keys.find((entry) => entry.kid === kid);
  if (key === undefined) throw new IssuerError(`key ${kid} not found in the key set; list the keys with wid issuer keys`);
  if (!isPublished(key, now)) throw new IssuerError(`key ${kid} is already retired`);

  const retired: SigningKey = { ...key, retireAt: now.toISOString(), retiredAt: now.toISOString(), privateJwk: null };
  const result: KeySet = { ...keySet, keys: keySet.keys.map((entry) => (entry.kid === kid ? retired : entry)) };
  if (signingKey(result, now) === undefined) {
    throw new IssuerError(`key ${kid} is the only key that can sign now; run wid issuer rotate --activate-after 0s first, then retire it`);
  }
  return { keySet: result, retired };
}
