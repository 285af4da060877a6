import PQueue from "p-queue";

import type { MintedToken, TokenSigner } from "../issuer/token.js";
import { writeStaticFiles, writeTokenFile } from "./files.js";
import type { CredentialTarget } from "./targets.js";

/** Options of token minting and token file writing. */
export interface DeliveryOptions {
  signer: TokenSigner;
  /** `Settings.issuer`. */
  issuer: string;
  /** Token lifetime in seconds, normally `Settings.tokenLifetimeSeconds`. */
  lifetimeSeconds: number;
  /** Mode of token files. */
  tokenFileMode: number;
}

/** Number of targets written at once: enough to keep two cores busy signing. */
const WRITE_CONCURRENCY = 8;

/** Mints a token for `target` and writes its token file. */
export async function refreshToken(target: CredentialTarget, options: DeliveryOptions): Promise<MintedToken> {
  const minted = await options.signer.mint({
    issuer: options.issuer,
    identity: target.identity,
    audience: target.audience,
    workload: target.workload,
    lifetimeSeconds: options.lifetimeSeconds,
  });
  await writeTokenFile(target, minted.token, options.tokenFileMode);
  return minted;
}

/**
 * Writes every file of every target: env file, credential configuration and a fresh
 * token. Returns the minted token of each target, in the order of `targets`. The first
 * failure rejects, after the writes already started have finished.
 */
export async function writeCredentials(targets: readonly CredentialTarget[], options: DeliveryOptions): Promise<MintedToken[]> {
  const queue = new PQueue({ concurrency: WRITE_CONCURRENCY });
  const results = targets.map((target) =>
    queue.add(async () => {
      await writeStaticFiles(target);
      return refreshToken(target, options);
    }),
  );
  const settled = await Promise.allSettled(results);
  const minted: MintedToken[] = [];
  for (const result of settled) {
    if (result.status === "rejected") throw result.reason;
    minted.push(result.value);
  }
  return minted;
}
