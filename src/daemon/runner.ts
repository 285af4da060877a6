/**
 * The contract between the daemon and the reconcile pipeline. The daemon owns git,
 * scheduling and reporting. A runner owns every step between reading the checked-out
 * config and writing the status file: load, observe, plan, apply and build the status.
 */

import type { Logger } from "pino";

import type { FinishedOutcome, RunCounts } from "../reconcile/outcome.js";
import type { IdentityState } from "../status/types.js";

/** Input of one run. */
export interface ReconcileInput {
  /** Absolute path of the config directory, checked out at `revision`. */
  configDir: string;
  /** The config commit being reconciled; the status file records it. */
  revision: string;
  /**
   * Aborted on shutdown or when the run times out. A runner stops at its next safe
   * point: before the first cloud write, or between writes, never halfway through one.
   */
  signal: AbortSignal;
  /** The run's logger, which already carries the run id and the revision. */
  logger: Logger;
  /** Plan and report, but apply nothing, regardless of Settings (`--suspend`). */
  suspend?: boolean;
}

/** Result of one run of a {@link ReconcileRunner}. */
export interface RunnerResult {
  outcome: FinishedOutcome;
  /**
   * The status file the runner wrote, relative to `configDir` with `/` separators, or
   * null when it wrote none (for example when the config has no valid Settings).
   */
  statusFile: string | null;
  /** The status file's content differs from the checked-out one. */
  statusChanged: boolean;
  /** Changes made, failed, pending and not applied, as the run's log lines count them. */
  counts: RunCounts;
  /** Applying was suspended, by Settings or by {@link ReconcileInput.suspend}. */
  suspended: boolean;
  /** Identities by state in the written status file. */
  identities: Partial<Record<IdentityState, number>>;
  /**
   * Whether running again soon may help: true for an unreachable cloud, false for a
   * config error that only a new commit can fix.
   */
  retryable: boolean;
  /** The cause of an outcome other than success, as a sentence. Absent on success. */
  reason?: string;
  /** Time spent in each stage, in milliseconds. */
  timings: { planMs: number; applyMs: number; statusMs: number };
  /** `Settings.issuer` of the reconciled config, which the issuer's routes publish; absent without valid Settings. */
  issuer?: string;
}

/**
 * Runs load, observe, plan, apply, build status and write status for one config
 * directory. It must not touch git. It throws only for a stop (the signal's reason) or
 * a bug; every expected failure is reported in the result.
 */
export type ReconcileRunner = (input: ReconcileInput) => Promise<RunnerResult>;
