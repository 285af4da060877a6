import { randomBytes } from "node:crypto";
import path from "node:path";
import { performance } from "node:perf_hooks";

import type { Logger } from "pino";

import { ExpectedError } from "../errors/expected.js";
import { statusCommitMessage } from "../git/commit-message.js";
import { publishStatus } from "../git/publish.js";
import type { WorkFolder } from "../git/work-folder.js";
import type { RunOutcome } from "../reconcile/outcome.js";
import type { RunnerMode } from "./reconcile-runner.js";
import type { ReconcileRunner, RunnerResult } from "./runner.js";

/** Source of a run request. */
export type TriggerSource = "startup" | "schedule" | "retry" | "webhook" | "signal" | "api";

/** Time spent in each stage of a run, in milliseconds. */
export interface RunTimings {
  /** Fetch, reset, commit and push. */
  gitMs: number;
  planMs: number;
  applyMs: number;
  statusMs: number;
  totalMs: number;
}

/** The record of one run, for logs, metrics and scheduling. */
export interface RunReport {
  runId: string;
  trigger: TriggerSource;
  outcome: RunOutcome;
  /** The remote branch head the run checked out, or null when the fetch failed. */
  head: string | null;
  /** The config revision reconciled, or null when the fetch failed. */
  revision: string | null;
  /** The runner's result, when the runner returned. */
  result?: RunnerResult;
  /** The status commit pushed, or null when the status did not change or was not pushed. */
  statusCommit: string | null;
  rebased: boolean;
  /** The next run should come after the retry interval rather than the interval. */
  retry: boolean;
  /** Reason the run failed or was aborted. */
  error?: string;
  timings: RunTimings;
}

/** Dependencies and limits of a run. */
export interface CycleContext {
  workFolder: WorkFolder;
  runner: ReconcileRunner;
  /** The runner's mode, which every line of a run carries. */
  mode: RunnerMode;
  /** The daemon's logger; each run gets a child with its run id, mode and revision. */
  logger: Logger;
  /** Apply nothing, regardless of Settings. */
  suspend: boolean;
  /** Push attempts before giving up on the status commit. */
  pushAttempts: number;
  /** A run that takes longer is stopped at its next safe point, and its git commands are killed. */
  timeoutMs: number;
}

/** Signals through which a shutdown reaches a run. */
export interface ShutdownSignals {
  /** Stop at the next safe point: before the first cloud write or between writes. */
  stop: AbortSignal;
  /** Kill running git commands too, including a push; sent when the shutdown grace period is over. */
  kill: AbortSignal;
}

/** A run went past its timeout. */
export class RunTimeoutError extends ExpectedError {
  readonly kind = "timeout";

  constructor(readonly timeoutMs: number) {
    super(`the run took longer than its timeout of ${Math.round(timeoutMs / 1000)} s`);
    this.name = "RunTimeoutError";
  }
}

/**
 * Runs one reconcile: sync the work folder to the remote branch head, let the runner
 * load, plan, apply and write the status file, then commit and push the status file
 * when it changed. The status is committed only after the runner returned, so a crash
 * or stop before that leaves nothing that the next run's reset does not discard.
 * Every failure is caught and recorded in the report and in one log line.
 */
export async function runCycle(context: CycleContext, trigger: TriggerSource, shutdown: ShutdownSignals, runId = newRunId()): Promise<RunReport> {
  const started = performance.now();
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new RunTimeoutError(context.timeoutMs)), context.timeoutMs);
  const stop = AbortSignal.any([shutdown.stop, timeout.signal]);
  const kill = AbortSignal.any([shutdown.kill, timeout.signal]);

  const report: RunReport = { runId, trigger, outcome: "failed", head: null, revision: null, statusCommit: null, rebased: false, retry: false, timings: { gitMs: 0, planMs: 0, applyMs: 0, statusMs: 0, totalMs: 0 } };
  let log = context.logger.child({ runId, mode: context.mode });
  log.info({ trigger }, "run started");

  try {
    // Sync: fetch the branch and reset the work folder to its head.
    const syncStart = performance.now();
    const { head, revision } = await context.workFolder.sync(stop);
    report.timings.gitMs += performance.now() - syncStart;
    report.head = head;
    report.revision = revision;
    log = log.child({ revision });
    log.info({ head }, "work folder synced");

    // Reconcile: load, observe, plan, apply and write the status file.
    const result = await context.runner({ configDir: context.workFolder.configDir, revision, signal: stop, logger: log, suspend: context.suspend });
    report.result = result;
    report.outcome = result.outcome;
    report.retry = result.outcome !== "success" && result.retryable;
    Object.assign(report.timings, result.timings);

    // Publish: commit and push the status file when its content changed.
    if (result.statusFile !== null) {
      const publishStart = performance.now();
      const published = await publishStatus({
        git: context.workFolder.client(kill),
        dir: context.workFolder.dir,
        branch: context.workFolder.branch,
        statusPath: path.posix.join(context.workFolder.subdir, result.statusFile),
        message: statusCommitMessage({ revision, counts: result.counts, outcome: result.outcome, suspended: result.suspended, identities: result.identities }),
        maxAttempts: context.pushAttempts,
        signal: kill,
        logger: log,
      });
      report.timings.gitMs += performance.now() - publishStart;
      report.statusCommit = published.commit;
      report.rebased = published.rebased;
      if (published.commit !== null) log.info({ commit: published.commit, attempts: published.attempts, rebased: published.rebased }, "status committed and pushed");
      else log.info({ statusFile: result.statusFile }, "status unchanged; nothing to commit");
    }
  } catch (error) {
    let reason: unknown = error;
    if (kill.aborted) reason = kill.reason;
    if (stop.aborted) reason = stop.reason;
    if (reason instanceof RunTimeoutError) {
      report.outcome = "failed";
      report.retry = true;
      report.error = reason.message;
      log.error({ err: reason }, "run timed out");
    } else if (stop.aborted || kill.aborted) {
      report.outcome = "aborted";
      report.error = reason instanceof Error ? reason.message : String(reason);
      log.warn({ reason: report.error }, "run abandoned at a safe point");
    } else {
      report.outcome = "failed";
      report.retry = true;
      report.error = error instanceof Error ? error.message : String(error);
      log.error({ err: error }, "run failed");
    }
  } finally {
    clearTimeout(timer);
    report.timings.totalMs = performance.now() - started;
  }

  logRunFinished(log, report);
  return report;
}

/**
 * Logs the `run finished` line with the run's outcome and the same change counts as
 * `reconcile finished`. The outcome differs from that line's only when git failed or
 * the run was stopped after the reconcile.
 */
function logRunFinished(log: Logger, report: RunReport): void {
  const { result } = report;
  const fields = {
    outcome: report.outcome,
    durationMs: Math.round(report.timings.totalMs),
    statusCommit: report.statusCommit,
    ...(result !== undefined ? { suspended: result.suspended, ...result.counts } : {}),
    ...(report.outcome !== "success" ? { reason: report.error ?? result?.reason } : {}),
  };
  if (report.outcome === "success") log.info(fields, "run finished");
  else log.warn(fields, "run finished");
}

/** Returns a short random id that distinguishes the log lines of one run from the others. */
export function newRunId(): string {
  return randomBytes(6).toString("hex");
}
