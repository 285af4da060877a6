import { randomUUID } from "node:crypto";

import type { CryptoKey } from "jose";
import { importJWK, SignJWT } from "jose";

import { MAX_SUBJECT_BYTES, tokenSubject } from "../config/names.js";
import { IssuerError } from "./errors.js";
import type { SigningKey } from "./key-set.js";
import { signingKey } from "./key-set.js";
import type { KeySetSource } from "./key-source.js";

/** Claims that name the workload a token was minted for, for audit logs. */
export const WORKLOAD_PROJECT_CLAIM = "wid_project";
export const WORKLOAD_NAME_CLAIM = "wid_workload";

export interface TokenRequest {
  /** `Settings.issuer`, copied into `iss` unchanged. */
  issuer: string;
  /** The identity name; `sub` is `identity:<name>`, at most 127 bytes. */
  identity: string;
  /** `sts.amazonaws.com` for AWS, the pool provider's audience for Google Cloud. */
  audience: string;
  /** The workload the token is for, written as {@link WORKLOAD_PROJECT_CLAIM} and {@link WORKLOAD_NAME_CLAIM}. */
  workload?: { project: string; name: string };
  /**
   * Seconds from `iat` to `exp`, at least 1. The config bounds `tokenLifetime` to 10
   * minutes..24 hours; shorter values are for tests only.
   */
  lifetimeSeconds: number;
}

/** A signed token and the facts a caller logs or schedules by. The token itself is a secret. */
export interface MintedToken {
  token: string;
  kid: string;
  jti: string;
  /** `iat` in milliseconds: the signing time rounded down to a whole second. */
  issuedAtMs: number;
  /** `exp` in milliseconds. */
  expiresAtMs: number;
}

/**
 * Signs tokens with the active key of a key source. Imported private keys are cached by
 * `kid`, so a rotation costs one import and an unchanged key set costs none.
 */
export class TokenSigner {
  private readonly imported = new Map<string, CryptoKey>();

  constructor(
    private readonly source: KeySetSource,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Signs a token for `request` with the key that is active now. */
  async mint(request: TokenRequest): Promise<MintedToken> {
    const subject = tokenSubject(request.identity);
    if (Buffer.byteLength(subject, "utf8") > MAX_SUBJECT_BYTES) {
      throw new IssuerError(`the subject ${subject} is longer than ${MAX_SUBJECT_BYTES} bytes, the limit of Google STS; shorten the identity name`);
    }
    if (!Number.isInteger(request.lifetimeSeconds) || request.lifetimeSeconds < 1) {
      throw new IssuerError(`token lifetime ${request.lifetimeSeconds} is invalid; it must be a whole number of seconds, at least 1`);
    }

    const now = this.clock();
    const keySet = await this.source.load();
    const key = signingKey(keySet, now);
    if (key === undefined) {
      throw new IssuerError(`${this.source.description} has no key that can sign now; run wid issuer rotate --keys FILE to add one`);
    }

    const issuedAt = Math.floor(now.getTime() / 1000);
    const expiresAt = issuedAt + request.lifetimeSeconds;
    const jti = randomUUID();
    const claims: Record<string, string> = {};
    if (request.workload !== undefined) {
      claims[WORKLOAD_PROJECT_CLAIM] = request.workload.project;
      claims[WORKLOAD_NAME_CLAIM] = request.workload.name;
    }
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT" })
      .setIssuer(request.issuer)
      .setSubject(subject)
      .setAudience(request.audience)
      .setIssuedAt(issuedAt)
      .setNotBefore(issuedAt)
      .setExpirationTime(expiresAt)
      .setJti(jti)
      .sign(await this.privateKey(key));
    return { token, kid: key.kid, jti, issuedAtMs: issuedAt * 1000, expiresAtMs: expiresAt * 1000 };
  }

  private async privateKey(key: SigningKey): Promise<CryptoKey> {
    const cached = this.imported.get(key.kid);
    if (cached !== undefined) return cached;
    if (key.privateJwk === null) throw new IssuerError(`key ${key.kid} is retired and has no private key`);

    let imported: CryptoKey;
    try {
      const result = await importJWK(key.privateJwk, key.alg);
      if (result instanceof Uint8Array) throw new Error("not an asymmetric key");
      imported = result;
    } catch (error) {
      throw new IssuerError(`the private key ${key.kid} cannot be used for ${key.alg}; the key file is damaged, restore it or rotate`, { cause: error });
    }
    this.imported.set(key.kid, imported);
    return imported;
  }
}
