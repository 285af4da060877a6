/**
 * The contract between the daemon and the reconcile pipeline. The daemon owns git,
 * scheduling and reporting. A runner owns every step between reading the checked-out
 * config and writing the status file: load, observe, plan, apply and build the status.
 */

import type { Logger } from "pino";

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

/** Changes by action. */
export interface ChangeCounts {
  create: number;
  update: number;
  delete: number;
}

/** Outcome of a run. `partial`: some integrations or identities failed while the others reconciled. */
export type RunnerOutcome = "success" | "partial" | "failed";

/** Result of one run. */
export interface ReconcileResult {
  outcome: RunnerOutcome;
  /**
   * The status file the runner wrote, relative to `configDir` with `/` separators, or
   * null when it wrote none (for example when the config has no valid Settings).
   */
  statusFile: string | null;
  /** The status file's content differs from the checked-out one. */
  statusChanged: boolean;
  /** Cloud changes applied in this run, by action. */
  summary: ChangeCounts;
  /** Changes that wait for `install: true`, for an apply, or for the end of a suspension. */
  pending: number;
  /** Applying was suspended, by Settings or by {@link ReconcileInput.suspend}. */
  suspended: boolean;
  /** Identities by state in the written status file. */
  identities: Partial<Record<IdentityState, number>>;
  /**
   * Whether running again soon may help: true for an unreachable cloud, false for a
   * config error that only a new commit can fix.
   */
  retryable: boolean;
  /** Reason the outcome is not success, as a sentence. */
  message?: string;
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
export type ReconcileRunner = (input: ReconcileInput) => Promise<ReconcileResult>;
