import { createHmac, timingSafeEqual } from "node:crypto";

/** The header GitHub signs deliveries in: `sha256=` and the hex HMAC-SHA256 of the body. */
export const SIGNATURE_HEADER = "x-hub-signature-256";

/**
 * Checks a delivery's `X-Hub-Signature-256` against the HMAC-SHA256 of the raw body
 * under the webhook secret. The comparison takes the same time whatever the bytes, so
 * the response time reveals nothing about how close a forged signature was.
 * Returns false for a missing or malformed header.
 */
export function verifySignature(secret: string, body: Buffer, header: string | undefined): boolean {
  if (header === undefined) return false;
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (match === null) return false;

  const expected = createHmac("sha256", secret).update(body).digest();
  const received = Buffer.from(match[1] as string, "hex");
  return received.length === expected.length && timingSafeEqual(received, expected);
}

/** Computes the `X-Hub-Signature-256` value of `body` as GitHub does. */
export function signBody(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}
