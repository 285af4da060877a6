import type { ApplyOptions } from "../types.js";

/**
 * Retries `attempt` while it fails with an error that `isTransient` accepts, waiting
 * between tries with exponential backoff and jitter, up to `wait.totalMs` in all. IAM
 * is eventually consistent: a role whose trust names an OIDC provider created seconds
 * ago can be rejected with "Invalid principal in policy" until every IAM server knows
 * the provider. That is waited out, not reported as a failure. The last error is
 * thrown when the time is up.
 */
export async function retryWhileTransient<T>(
  attempt: () => Promise<T>,
  isTransient: (error: unknown) => boolean,
  wait: ApplyOptions["consistencyWait"],
  onRetry: (error: unknown, delayMs: number, attemptNumber: number) => void,
): Promise<T> {
  const started = Date.now();
  let delay = wait.initialDelayMs;
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt();
    } catch (error) {
      const remaining = wait.totalMs - (Date.now() - started);
      if (!isTransient(error) || remaining <= 0) throw error;
      const jittered = Math.min(remaining, Math.round(delay * (0.5 + Math.random() / 2)));
      onRetry(error, jittered, attemptNumber);
      await new Promise((resolve) => setTimeout(resolve, jittered));
      delay = Math.min(delay * 2, wait.maxDelayMs);
    }
  }
}
