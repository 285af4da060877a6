import path from "node:path";

import type { Logger } from "pino";

import type { Diagnostic } from "../config/diagnostics.js";
import { hasErrors } from "../config/diagnostics.js";
import type { AdapterRegistry } from "../providers/types.js";
import { reconcile } from "../reconcile/run.js";
import type { ReconcileResult as RunResult } from "../reconcile/run.js";
import type { IdentityState, StatusFile } from "../status/types.js";
import type { ReconcileInput, ReconcileResult, ReconcileRunner, RunnerOutcome } from "./runner.js";

/** At most this many config diagnostics are logged per run; the rest are counted. */
export const MAX_LOGGED_DIAGNOSTICS = 50;

/** Cloud access of a runner. */
export interface RunnerSettings {
  /**
   * `cloud`: observe the clouds, plan, apply and write the status. `offline`: plan
   * against the committed status file, apply nothing, and write the status, whose
   * states name what waits for an apply.
   */
  mode: "cloud" | "offline";
  /** The clouds' adapters; not used offline. */
  adapters: AdapterRegistry;
}

/**
 * Creates the daemon's runner: it runs the shared `reconcile()` of `wid plan` and
 * `wid apply` on the checked-out config, with the daemon's config revision, stop signal
 * and suspension, and maps its result to what the daemon schedules, reports and commits.
 */
export function createReconcileRunner(settings: RunnerSettings): ReconcileRunner {
  return (input) => runReconcile(input, settings);
}

/** Runs offline: the runner of `wid reconcile --offline`. */
export function runOffline(input: ReconcileInput): Promise<ReconcileResult> {
  return runReconcile(input, { mode: "offline", adapters: {} });
}

async function runReconcile(input: ReconcileInput, settings: RunnerSettings): Promise<ReconcileResult> {
  const { configDir, revision, signal, logger } = input;
  const result = await reconcile({
    root: configDir,
    adapters: settings.adapters,
    logger,
    mode: settings.mode === "cloud" ? "apply" : "offline",
    revision,
    signal,
    suspend: input.suspend === true,
    runLogger: false,
  });
  logDiagnostics(logger, [...result.loaded.diagnostics, ...result.statusDiagnostics]);
  return toRunnerResult(result, logger);
}

function toRunnerResult(result: RunResult, logger: Logger): ReconcileResult {
  const { plan, status, statusFile, timings } = result;
  if (plan === undefined || status === undefined || statusFile === undefined) {
    logger.error({ revision: result.revision }, "config has no valid Settings document");
    return {
      outcome: "failed",
      statusFile: null,
      statusChanged: false,
      summary: { create: 0, update: 0, delete: 0 },
      pending: 0,
      suspended: false,
      identities: {},
      retryable: false,
      message: `the config has no valid Settings document, so the status file cannot be written: ${result.message ?? "fix the errors logged above"}`,
      timings,
    };
  }

  const report = result.report;
  const problems = problemsOf(result);
  const integrations = result.loaded.model.integrations.size;
  let outcome: RunnerOutcome = "success";
  if (problems.length > 0) outcome = integrations > 0 && plan.failedIntegrations.length === integrations ? "failed" : "partial";
  return {
    outcome,
    statusFile: path.posix.normalize(statusFile),
    statusChanged: result.statusWritten,
    summary: report === undefined ? { create: 0, update: 0, delete: 0 } : { create: report.summary.created, update: report.summary.updated, delete: report.summary.deleted },
    // Offline, every planned change waits for an apply.
    pending: plan.pending.length + (report === undefined ? plan.changes.length : 0),
    suspended: result.suspended,
    identities: countStates(status),
    retryable: result.retryable,
    ...(problems.length > 0 ? { message: problems.join("; ") } : {}),
    timings,
    ...(result.loaded.model.settings !== undefined ? { issuer: result.loaded.model.settings.issuer } : {}),
  };
}

/** Returns what kept the run from a full success, as clauses: failed integrations, failed changes, invalid files. */
function problemsOf(result: RunResult): string[] {
  const problems: string[] = [];
  for (const note of result.plan?.failedIntegrations ?? []) problems.push(`integration ${note.integration} failed: ${note.message}`);
  const failed = (result.report?.outcomes ?? []).filter((outcome) => outcome.outcome === "failed");
  const first = failed[0];
  if (first !== undefined) problems.push(`${failed.length} change(s) failed, the first ${first.resource} of ${first.integration}: ${first.message ?? "no message"}`);
  const invalid = result.plan?.invalid ?? [];
  if (invalid.length > 0) problems.push(`${invalid.length} identity file(s) have errors and keep their last installed state: ${invalid.map((note) => note.identity).join(", ")}`);
  else if (hasErrors(result.loaded.diagnostics)) problems.push("the config has errors; see the config diagnostics logged");
  return problems;
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
    logger.warn({ file, line, column, severity, code, diagnostic: message }, "config diagnostic");
  }
  if (diagnostics.length > MAX_LOGGED_DIAGNOSTICS) {
    logger.warn({ logged: MAX_LOGGED_DIAGNOSTICS, total: diagnostics.length }, "config diagnostics truncated");
  }
}
