import { setTimeout as sleep } from "node:timers/promises";

import type { ApplyOptions } from "../types.js";

/**
 * Retries `attempt` while it fails with an error that `isTransient` accepts, waiting
 * between tries with exponential backoff and jitter, up to `wait.totalMs` in all. IAM
 * is eventually consistent: a role whose trust names an OIDC provider created seconds
 * ago can be rejected with "Invalid principal in policy" until every IAM server knows
 * the provider. That is waited out, not reported as a failure. The last error is
 * thrown when the time is up, or at once when `signal` aborts during a wait.
 */
export async function retryWhileTransient<T>(
  attempt: () => Promise<T>,
  isTransient: (error: unknown) => boolean,
  wait: ApplyOptions["consistencyWait"],
  onRetry: (error: unknown, delayMs: number, attemptNumber: number) => void,
  signal?: AbortSignal,
): Promise<T> {
  const started = Date.now();
  let delay = wait.initialDelayMs;
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt();
    } catch (error) {
      const remaining = wait.totalMs - (Date.now() - started);
      if (!isTransient(error) || remaining <= 0 || signal?.aborted === true) throw error;
      const jittered = Math.min(remaining, Math.round(delay * (0.5 + Math.random() / 2)));
      onRetry(error, jittered, attemptNumber);
      const waited = await sleep(jittered, true, signal === undefined ? {} : { signal }).catch(() => false);
      if (!waited) throw error;
      delay = Math.min(delay * 2, wait.maxDelayMs);
    }
  }
}
