import type { JWK } from "jose";

import type { KeySet, SigningAlgorithm } from "./key-set.js";
import { publicJwk, publishedKeys, SIGNING_ALGORITHMS } from "./key-set.js";
import { WORKLOAD_NAME_CLAIM, WORKLOAD_PROJECT_CLAIM } from "./token.js";

/** Path of the discovery document below the issuer URL. */
export const DISCOVERY_PATH = "/.well-known/openid-configuration";
/** Path of the JWKS below the issuer URL, as named in the discovery document's `jwks_uri`. */
export const JWKS_PATH = "/.well-known/jwks.json";

/**
 * `Cache-Control` of the discovery document: one hour, because it changes only when the
 * issuer URL does.
 */
export const DISCOVERY_CACHE_CONTROL = "public, max-age=3600";
/**
 * `Cache-Control` of the JWKS: five minutes, half the default activation delay of a
 * rotated key, so verifiers fetch a new key before it signs anything.
 */
export const JWKS_CACHE_CONTROL = "public, max-age=300";

/** The OpenID Connect discovery document that AWS IAM and Google STS read. */
export interface DiscoveryDocument {
  /** `Settings.issuer`, character for character. */
  issuer: string;
  jwks_uri: string;
  response_types_supported: string[];
  subject_types_supported: string[];
  id_token_signing_alg_values_supported: SigningAlgorithm[];
  claims_supported: string[];
}

/**
 * Builds the discovery document for `issuer`. The signing algorithms listed are those
 * wid can sign with, not only those of the current keys, so the document stays valid
 * across a rotation to another algorithm.
 */
export function discoveryDocument(issuer: string): DiscoveryDocument {
  return {
    issuer,
    jwks_uri: `${issuer}${JWKS_PATH}`,
    response_types_supported: ["id_token"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: [...SIGNING_ALGORITHMS],
    claims_supported: ["iss", "sub", "aud", "iat", "nbf", "exp", "jti", WORKLOAD_PROJECT_CLAIM, WORKLOAD_NAME_CLAIM],
  };
}

/** Builds the JWKS: the public keys published at `now`, oldest first. */
export function jwks(keySet: KeySet, now: Date): { keys: JWK[] } {
  return { keys: publishedKeys(keySet, now).map(publicJwk) };
}

/**
 * Returns the path part of the issuer URL without a trailing slash: empty for
 * `https://oidc.example.com`, `/tenant` for `https://example.com/tenant`. Discovery
 * paths are relative to it.
 */
export function issuerPathPrefix(issuer: string): string {
  return new URL(issuer).pathname.replace(/\/$/, "");
}
