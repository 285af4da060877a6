import path from "node:path";

import type { Logger } from "pino";

import type { Diagnostic } from "../config/diagnostics.js";
import type { AdapterRegistry } from "../providers/types.js";
import { countChanges, judgeRun } from "../reconcile/outcome.js";
import { reconcile } from "../reconcile/run.js";
import type { ReconcileResult } from "../reconcile/run.js";
import type { IdentityState, StatusFile } from "../status/types.js";
import type { ReconcileInput, ReconcileRunner, RunnerResult } from "./runner.js";

/** At most this many config diagnostics are logged per run; the rest are counted. */
export const MAX_LOGGED_DIAGNOSTICS = 50;

/** Cloud access of a runner. */
export interface RunnerSettings {
  /**
   * `apply`: observe the clouds, plan, apply and write the status. `offline`: plan
   * against the committed status file, apply nothing, and write the status, whose
   * states name what waits for an apply.
   */
  mode: RunnerMode;
  /** The clouds' adapters; not used offline. */
  adapters: AdapterRegistry;
}

/** The way a daemon's runs reach the clouds, logged as the `mode` field. */
export type RunnerMode = "apply" | "offline";

/**
 * Creates the daemon's runner: it runs the shared `reconcile()` of `wid plan` and
 * `wid apply` on the checked-out config, with the daemon's config revision, stop signal
 * and suspension, and maps its result to what the daemon schedules, reports and commits.
 */
export function createReconcileRunner(settings: RunnerSettings): ReconcileRunner {
  return (input) => runReconcile(input, settings);
}

/** Runs offline: the runner of `wid reconcile --offline`. */
export function runOffline(input: ReconcileInput): Promise<RunnerResult> {
  return runReconcile(input, { mode: "offline", adapters: {} });
}

async function runReconcile(input: ReconcileInput, settings: RunnerSettings): Promise<RunnerResult> {
  const { configDir, revision, signal, logger } = input;
  const result = await reconcile({
    root: configDir,
    adapters: settings.adapters,
    logger,
    mode: settings.mode,
    revision,
    signal,
    suspend: input.suspend === true,
    runLogger: false,
  });
  logDiagnostics(logger, [...result.loaded.diagnostics, ...result.statusDiagnostics]);
  return toRunnerResult(result, logger);
}

/** Maps a reconcile's result to the daemon's, with the outcome, reason and counts that `reconcile finished` logged. */
function toRunnerResult(result: ReconcileResult, logger: Logger): RunnerResult {
  const { outcome, reason } = judgeRun(result);
  const { status, statusFile, timings } = result;
  const common = { outcome, counts: countChanges(result), suspended: result.suspended, retryable: result.retryable, timings, ...(reason !== undefined ? { reason } : {}) };
  if (status === undefined || statusFile === undefined) {
    logger.error({ revision: result.revision, reason }, "config has no valid Settings document");
    return { ...common, statusFile: null, statusChanged: false, identities: {} };
  }
  return {
    ...common,
    statusFile: path.posix.normalize(statusFile),
    statusChanged: result.statusWritten,
    identities: countStates(status),
    ...(result.loaded.model.settings !== undefined ? { issuer: result.loaded.model.settings.issuer } : {}),
  };
}

/** Counts the identities of a status file by state. */
export function countStates(status: StatusFile): Partial<Record<IdentityState, number>> {
  const counts: Partial<Record<IdentityState, number>> = {};
  for (const identity of Object.values(status.identities)) counts[identity.state] = (counts[identity.state] ?? 0) + 1;
  return counts;
}

function logDiagnostics(logger: Logger, diagnostics: readonly Diagnostic[]): void {
  for (const diagnostic of diagnostics.slice(0, MAX_LOGGED_DIAGNOSTICS)) {
    const { file, line, column, severity, code, message } = diagnostic;
    logger.warn({ file, line, column, severity, code, detail: message }, "config diagnostic");
  }
  if (diagnostics.length > MAX_LOGGED_DIAGNOSTICS) {
    logger.warn({ logged: MAX_LOGGED_DIAGNOSTICS, total: diagnostics.length }, "config diagnostics truncated");
  }
}
