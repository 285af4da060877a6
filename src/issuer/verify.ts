import type { JSONWebKeySet, JWTPayload, ProtectedHeaderParameters } from "jose";
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify } from "jose";

import { IssuerError } from "./errors.js";
import { SIGNING_ALGORITHMS } from "./key-set.js";

export interface VerifyOptions {
  /** The expected `iss`: `Settings.issuer`. */
  issuer: string;
  /** Accepted `aud` values; the token must name at least one. */
  audiences: readonly string[];
  /** The JWKS to check the signature against: its content, or the URL to fetch it from. */
  jwks: JSONWebKeySet | URL;
  /** The time `exp` and `nbf` are compared with. Default: the system clock. */
  now?: Date;
}

/** The header and claims of a token that passed verification. */
export interface VerifiedToken {
  header: ProtectedHeaderParameters;
  claims: JWTPayload;
}

/**
 * Verifies `token` as AWS STS and Google STS would: the signature against a key of the
 * JWKS named by `kid`, then `iss`, `aud`, `exp` and `nbf`, with no clock tolerance.
 * Throws an {@link IssuerError} that names the failed check; the message never
 * contains the token.
 */
export async function verifyIssuerToken(token: string, options: VerifyOptions): Promise<VerifiedToken> {
  const keys = options.jwks instanceof URL ? createRemoteJWKSet(options.jwks) : createLocalJWKSet(options.jwks);
  try {
    const result = await jwtVerify(token, keys, {
      issuer: options.issuer,
      audience: [...options.audiences],
      algorithms: [...SIGNING_ALGORITHMS],
      requiredClaims: ["iss", "sub", "aud", "iat", "exp"],
      ...(options.now !== undefined ? { currentDate: options.now } : {}),
    });
    return { header: result.protectedHeader, claims: result.payload };
  } catch (error) {
    throw verificationError(error, options);
  }
}

function verificationError(error: unknown, options: VerifyOptions): IssuerError {
  const fail = (message: string): IssuerError => new IssuerError(`token verification failed: ${message}`, { cause: error });

  if (error instanceof errors.JWTExpired) {
    const exp = typeof error.payload.exp === "number" ? new Date(error.payload.exp * 1000).toISOString() : "an unknown time";
    return fail(`the token expired at ${exp}; mint a new one`);
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const actual = JSON.stringify(error.payload[error.claim] ?? null);
    if (error.claim === "iss") return fail(`iss is ${actual}, expected ${JSON.stringify(options.issuer)}`);
    if (error.claim === "aud") return fail(`aud is ${actual}, expected one of ${options.audiences.map((audience) => JSON.stringify(audience)).join(", ")}`);
    if (error.claim === "nbf") return fail(`the token is not valid before ${new Date(Number(error.payload.nbf) * 1000).toISOString()}; check the clocks`);
    return fail(`claim ${error.claim} is invalid (${error.reason})`);
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return fail("no key of the JWKS matches the token's kid; the key was retired, or the token comes from another issuer");
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return fail("the signature does not match the key named by kid");
  if (error instanceof errors.JOSEAlgNotAllowed) return fail(`the algorithm is not one of ${SIGNING_ALGORITHMS.join(", ")}`);
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return fail("the value is not a signed JWT");
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return fail(`the JWKS could not be fetched or read (${error.message})`);
  if (error instanceof errors.JOSEError) return fail(error.message);
  return fail(`the JWKS could not be fetched (${error instanceof Error ? error.message : String(error)})`);
}
