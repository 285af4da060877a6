import { createHash } from "node:crypto";

/**
 * Returns the issuer part of wid's ownership mark on cloud resources: the first 16 hex
 * digits of the sha256 of `Settings.issuer`, as `printf %s https://oidc.example.com |
 * sha256sum | cut -c1-16` prints them. An issuer is the trust domain of one config repository,
 * so a resource marked with another issuer's digest belongs to another repository and
 * is a conflict, never a removal. A digest fits IAM's tag characters and Google's
 * description length whatever the issuer URL holds.
 */
export function issuerDigest(issuer: string): string {
  return createHash("sha256").update(issuer).digest("hex").slice(0, 16);
}

/**
 * How a resource's ownership mark relates to the issuer of this run.
 * - `this`: marked with this issuer's digest, or (for marks written before wid marked
 *   the issuer) shown to trust this issuer by the resource itself.
 * - `other`: marked with another issuer's digest.
 * - `unknown`: marked without an issuer, and nothing on the resource ties it to this issuer.
 */
export type IssuerMatch = "this" | "other" | "unknown";
