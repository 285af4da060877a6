import type { Logger } from "pino";

import type { MintedToken } from "../issuer/token.js";
import type { DeliveryOptions } from "./deliver.js";
import { refreshToken } from "./deliver.js";
import type { CredentialTarget } from "./targets.js";

/** Share of a token's lifetime after which its file is rewritten: 80%. */
export const REFRESH_AT_FRACTION = 0.8;

/**
 * Shortest wait between two refreshes of one file. `iat` is rounded down to a second,
 * so with the lifetimes of a few seconds that tests use, the refresh time can be past
 * right after signing. The floor keeps that from becoming a busy loop.
 */
const MIN_REFRESH_DELAY_MS = 100;

/**
 * Returns the wait in milliseconds before retry number `attempt` (1-based) of a failed
 * refresh: it starts at one second and doubles up to a twentieth of the lifetime, so a
 * refresh that fails at 80% of the lifetime is retried at least four times before the
 * old token expires. Lifetimes under 20 seconds, used by tests, start lower.
 */
export function retryDelayMs(attempt: number, lifetimeSeconds: number): number {
  const lifetimeMs = lifetimeSeconds * 1000;
  const first = Math.min(1000, lifetimeMs / 20);
  const cap = Math.max(first, lifetimeMs / 20);
  return Math.min(cap, first * 2 ** Math.max(0, attempt - 1));
}

/** Counts since the refresher started. */
export interface RefreshStats {
  refreshes: number;
  failures: number;
}

interface TargetState {
  target: CredentialTarget;
  expiresAtMs: number;
  failures: number;
  timer?: NodeJS.Timeout;
  running?: Promise<void>;
}

/**
 * Keeps token files fresh: each file is rewritten when {@link REFRESH_AT_FRACTION} of its
 * token's lifetime has passed since `iat`, and a failed refresh is retried with {@link retryDelayMs} until it
 * succeeds, also after the old token expired. Each file has its own timer, so one
 * failing file does not delay the others. The set of targets is fixed at start.
 */
export class TokenRefresher {
  private readonly states: TargetState[] = [];
  private readonly counts: RefreshStats = { refreshes: 0, failures: 0 };
  private stopped = false;

  constructor(
    private readonly options: DeliveryOptions,
    private readonly logger: Logger,
  ) {}

  /** Schedules the refresh of each target, whose current token is `current[i]`. */
  start(targets: readonly CredentialTarget[], current: readonly MintedToken[]): void {
    targets.forEach((target, index) => {
      const minted = current[index];
      if (minted === undefined) return;
      const state: TargetState = { target, expiresAtMs: minted.expiresAtMs, failures: 0 };
      this.states.push(state);
      this.scheduleAfterSuccess(state, minted);
    });
    this.logger.info({ files: this.states.length, lifetimeSeconds: this.options.lifetimeSeconds }, "token refresh started");
  }

  /** Refresh and failure counts so far. */
  stats(): RefreshStats {
    return { ...this.counts };
  }

  /** Cancels every scheduled refresh and waits for the ones in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const state of this.states) clearTimeout(state.timer);
    await Promise.all(this.states.map((state) => state.running));
    this.logger.info(this.stats(), "token refresh stopped");
  }

  private scheduleAfterSuccess(state: TargetState, minted: MintedToken): void {
    const lifetimeMs = minted.expiresAtMs - minted.issuedAtMs;
    const dueAt = minted.issuedAtMs + lifetimeMs * REFRESH_AT_FRACTION;
    this.schedule(state, Math.max(MIN_REFRESH_DELAY_MS, dueAt - Date.now()));
  }

  private schedule(state: TargetState, delayMs: number): void {
    if (this.stopped) return;
    state.timer = setTimeout(() => {
      state.running = this.refresh(state);
    }, delayMs);
  }

  private async refresh(state: TargetState): Promise<void> {
    const { target } = state;
    const fields = { workload: target.workloadKey, provider: target.provider, identity: target.identity, file: target.tokenFile };
    try {
      const minted = await refreshToken(target, this.options);
      state.expiresAtMs = minted.expiresAtMs;
      state.failures = 0;
      this.counts.refreshes += 1;
      this.logger.info({ ...fields, kid: minted.kid, jti: minted.jti, expiresAt: new Date(minted.expiresAtMs).toISOString() }, "token file refreshed");
      this.scheduleAfterSuccess(state, minted);
    } catch (error) {
      state.failures += 1;
      this.counts.failures += 1;
      const retryInMs = retryDelayMs(state.failures, this.options.lifetimeSeconds);
      const expired = Date.now() >= state.expiresAtMs;
      const details = { ...fields, attempt: state.failures, retryInMs, expired, expiresAt: new Date(state.expiresAtMs).toISOString(), err: error };
      this.logger.error(details, "token file refresh failed");
      this.schedule(state, retryInMs);
    }
  }
}
