import { ExpectedError } from "../../errors/expected.js";
import { compareBytes } from "../../text/order.js";

/**
 * The issuer's key set in the form a workload identity pool provider accepts as
 * `oidc.jwksJson`: RSA and EC keys with only the fields Google lists (kty, alg, use, kid,
 * n, e, x, y, crv). Keeping only those fields also guarantees that no private key
 * member (`d`, `p`, `q`, ...) is ever uploaded, whatever the input holds.
 */

/** JWK members Google accepts in `oidc.jwksJson`, in the order wid writes them. */
const ALLOWED_MEMBERS = ["kty", "alg", "use", "kid", "n", "e", "x", "y", "crv"] as const;

/** A key set that cannot be uploaded, with the reason. */
export class JwksError extends ExpectedError {
  readonly kind = "invalid-keys";

  constructor(message: string) {
    super(message);
    this.name = "JwksError";
  }
}

/**
 * Returns the canonical JSON text of a key set: public members only, keys sorted by `kid`, so
 * that the same keys always give the same text and a rotation always changes it.
 * Throws {@link JwksError} when there is no usable RSA or EC key.
 */
export function canonicalJwks(keySet: unknown): string {
  const keys = typeof keySet === "object" && keySet !== null && "keys" in keySet ? keySet.keys : undefined;
  if (!Array.isArray(keys)) throw new JwksError('the key set is not an object with a "keys" list');

  const publicKeys = keys.map((key, index) => publicMembers(key, index));
  if (publicKeys.length === 0) throw new JwksError("the key set has no keys");
  publicKeys.sort((a, b) => compareBytes(a.kid ?? "", b.kid ?? ""));
  return JSON.stringify({ keys: publicKeys });
}

/** Returns the canonical form of an uploaded `jwksJson`, or null when it is empty or cannot be read. */
export function canonicalUploadedJwks(text: string): string | null {
  if (text.trim() === "") return null;
  try {
    return canonicalJwks(JSON.parse(text));
  } catch {
    return null;
  }
}

function publicMembers(key: unknown, index: number): Record<string, string> {
  if (typeof key !== "object" || key === null) throw new JwksError(`key ${index} is not an object`);
  const record: Record<string, unknown> = { ...key };
  if (record.kty !== "RSA" && record.kty !== "EC") throw new JwksError(`key ${index} has kty ${JSON.stringify(record.kty)}; Google accepts only RSA and EC keys`);
  const result: Record<string, string> = {};
  for (const member of ALLOWED_MEMBERS) {
    const value = record[member];
    if (typeof value === "string") result[member] = value;
  }
  return result;
}
