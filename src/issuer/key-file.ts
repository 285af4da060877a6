/**
 * Reading and writing key set files. A key set file is JSON:
 *
 * ```json
 * { "apiVersion": "wid/v1", "kind": "IssuerKeySet",
 *   "keys": [{ "kid": "…", "alg": "RS256", "createdAt": "…", "activatesAt": "…",
 *              "retireAt": null, "retiredAt": null, "privateJwk": {…}, "publicJwk": {…} }] }
 * ```
 *
 * A PEM private key (PKCS#8, or PKCS#1 for RSA, or SEC 1 for EC) is accepted wherever a
 * key set is, as a key set of one key that is always active. That lets a mounted secret
 * made with `openssl genpkey` serve as the signing key.
 */

import { createPrivateKey, createPublicKey } from "node:crypto";
import type { KeyObject } from "node:crypto";

import type { JWK } from "jose";
import { calculateJwkThumbprint } from "jose";

import { writeFileAtomic } from "../fs/atomic-write.js";
import { IssuerError } from "./errors.js";
import type { KeySet, SigningAlgorithm, SigningKey } from "./key-set.js";
import { SIGNING_ALGORITHMS } from "./key-set.js";
import { RSA_MODULUS_BITS } from "./key-rotation.js";
import { isRecord } from "../json/record.js";

/** File mode of key set files: readable and writable by the owner only. */
export const KEY_FILE_MODE = 0o600;

/** The JWK members of RSA and EC keys that a key set file keeps; others are dropped. */
const JWK_KEY_FIELDS = ["kty", "crv", "x", "y", "n", "e", "d", "p", "q", "dp", "dq", "qi"] as const;

/**
 * Activation time given to a key read from PEM, which carries no timestamps: the Unix
 * epoch, so the key counts as active since before any token was signed. Its creation
 * time is left unknown (null).
 */
const PEM_ACTIVATION = new Date(0).toISOString();

/**
 * Parses the content of a key set file or of a PEM private key. `source` names where
 * the text came from (a path or an environment variable) in error messages, which never
 * quote the content.
 */
export async function parseKeySet(text: string, source: string): Promise<KeySet> {
  if (text.trimStart().startsWith("-----BEGIN")) return keySetFromPem(text, source);

  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new IssuerError(`${source} is neither a wid key set (JSON) nor a PEM private key; create one with wid issuer init`);
  }
  if (!isRecord(value) || value.apiVersion !== "wid/v1" || value.kind !== "IssuerKeySet" || !Array.isArray(value.keys)) {
    throw new IssuerError(`${source} is not a wid key set: expected apiVersion wid/v1, kind IssuerKeySet and a keys list`);
  }
  const keys = value.keys.map((entry: unknown, index: number) => parseKey(entry, `${source}: keys[${index}]`));
  return { apiVersion: "wid/v1", kind: "IssuerKeySet", keys };
}

/** Serializes a key set as indented JSON with a final newline. */
export function serializeKeySet(keySet: KeySet): string {
  return `${JSON.stringify(keySet, null, 2)}\n`;
}

/**
 * Writes a key set to `file` with mode 0600, atomically (see {@link writeFileAtomic}) and
 * flushed to disk, so a reader sees the old or the new file and never a partial one.
 * A replaced file's owner and group are kept, so the service user can still read it.
 * With `exclusive`, fails with `EEXIST` when `file` exists instead of replacing it.
 */
export async function writeKeySetFile(file: string, keySet: KeySet, options: { exclusive?: boolean } = {}): Promise<void> {
  await writeFileAtomic(file, serializeKeySet(keySet), { mode: KEY_FILE_MODE, sync: true, exclusive: options.exclusive === true, keepOwner: true });
}

function parseKey(entry: unknown, where: string): SigningKey {
  if (!isRecord(entry)) throw new IssuerError(`${where} is not an object`);
  const kid = requireString(entry, "kid", where);
  const alg = entry.alg;
  if (typeof alg !== "string" || !isSigningAlgorithm(alg)) {
    throw new IssuerError(`${where}.alg must be one of ${SIGNING_ALGORITHMS.join(", ")}`);
  }
  // Null for a key that came from a PEM private key before `wid issuer rotate` wrote the set.
  const createdAt = optionalTimestamp(entry, "createdAt", where);
  const activatesAt = requireTimestamp(entry, "activatesAt", where);
  const retireAt = optionalTimestamp(entry, "retireAt", where);
  const retiredAt = optionalTimestamp(entry, "retiredAt", where);
  const publicJwk = requireJwk(entry.publicJwk, `${where}.publicJwk`);
  const privateJwk = entry.privateJwk === null || entry.privateJwk === undefined ? null : requireJwk(entry.privateJwk, `${where}.privateJwk`);
  if (privateJwk !== null && typeof privateJwk.d !== "string") {
    throw new IssuerError(`${where}.privateJwk has no private part (d); the file must hold the private key`);
  }
  if (privateJwk === null && retiredAt === null) {
    throw new IssuerError(`${where}.privateJwk is missing, but the key is not retired; restore the key from its backup or set retiredAt`);
  }
  if (privateJwk !== null && !samePublicKey(publicJwk, privateJwk)) {
    // Tokens signed with the private key would fail every verifier that reads the published key.
    throw new IssuerError(`${where}.publicJwk is not the public part of its privateJwk; restore the key set file from its backup`);
  }
  return { kid, alg, createdAt, activatesAt, retireAt, retiredAt, privateJwk, publicJwk };
}

/** Members of a public JWK that identify the key: RSA modulus and exponent, or EC curve and point. */
const PUBLIC_MEMBERS = ["kty", "crv", "x", "y", "n", "e"] as const;

/** Tests whether `publicJwk` has the same public members as `privateJwk`. */
function samePublicKey(publicJwk: JWK, privateJwk: JWK): boolean {
  return PUBLIC_MEMBERS.every((member) => publicJwk[member] === privateJwk[member]);
}

async function keySetFromPem(text: string, source: string): Promise<KeySet> {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: text, format: "pem" });
  } catch {
    throw new IssuerError(`${source} contains a PEM block that is not a readable private key; it must be an unencrypted RSA or EC P-256 private key`);
  }
  const alg = pemAlgorithm(privateKey, source);
  const publicJwk: JWK = createPublicKey(privateKey).export({ format: "jwk" });
  const privateJwk: JWK = privateKey.export({ format: "jwk" });
  const key: SigningKey = {
    kid: await calculateJwkThumbprint(publicJwk, "sha256"),
    alg,
    createdAt: null,
    activatesAt: PEM_ACTIVATION,
    retireAt: null,
    retiredAt: null,
    privateJwk,
    publicJwk,
  };
  return { apiVersion: "wid/v1", kind: "IssuerKeySet", keys: [key] };
}

function pemAlgorithm(key: KeyObject, source: string): SigningAlgorithm {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === "rsa") {
    if ((details?.modulusLength ?? 0) < RSA_MODULUS_BITS) {
      throw new IssuerError(`${source} contains an RSA key shorter than ${RSA_MODULUS_BITS} bits; generate one of at least ${RSA_MODULUS_BITS} bits`);
    }
    return "RS256";
  }
  if (key.asymmetricKeyType === "ec" && details?.namedCurve === "prime256v1") return "ES256";
  throw new IssuerError(`${source} contains a ${key.asymmetricKeyType ?? "unknown"} key; use an RSA key (RS256) or an EC P-256 key (ES256)`);
}

function isSigningAlgorithm(value: string): value is SigningAlgorithm {
  return SIGNING_ALGORITHMS.some((alg) => alg === value);
}

function requireString(entry: Record<string, unknown>, field: string, where: string): string {
  const value = entry[field];
  if (typeof value !== "string" || value === "") throw new IssuerError(`${where}.${field} must be a non-empty string`);
  return value;
}

function requireTimestamp(entry: Record<string, unknown>, field: string, where: string): string {
  const value = requireString(entry, field, where);
  if (Number.isNaN(Date.parse(value))) throw new IssuerError(`${where}.${field} must be an ISO 8601 timestamp, such as 2025-01-31T12:00:00.000Z`);
  return value;
}

function optionalTimestamp(entry: Record<string, unknown>, field: string, where: string): string | null {
  if (entry[field] === null || entry[field] === undefined) return null;
  return requireTimestamp(entry, field, where);
}

function requireJwk(value: unknown, where: string): JWK {
  if (!isRecord(value) || typeof value.kty !== "string") throw new IssuerError(`${where} must be a JWK object with a kty field`);
  const jwk: JWK = {};
  for (const name of JWK_KEY_FIELDS) {
    const field = value[name];
    if (typeof field === "string") jwk[name] = field;
  }
  return jwk;
}
