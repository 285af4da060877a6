import path from "node:path";
import { performance } from "node:perf_hooks";

import type { Logger } from "pino";

import type { Diagnostic } from "../../config/diagnostics.js";
import { loadConfig } from "../../config/load.js";
import { planOffline } from "../../plan/offline.js";
import { readStatusFile, writeStatusFile } from "../../status/file.js";
import type { IdentityState, StatusFile } from "../../status/types.js";
import type { ReconcileInput, ReconcileResult } from "../runner.js";
import { buildUnappliedStatus } from "./status.js";
import { withUnreadableIdentities } from "./unreadable.js";

/** At most this many config diagnostics are logged per run; the rest are counted. */
export const MAX_LOGGED_DIAGNOSTICS = 50;

/**
 * Runs a reconcile without cloud access. It loads the config, plans against the
 * committed status file as `wid plan --offline` does, and applies nothing. The status
 * file it writes has a mapping that follows the config and states that name what waits
 * for an apply. It keeps the mapping current for teams that apply by other means, and
 * it is what `wid reconcile --offline` runs.
 */
export async function runOffline(input: ReconcileInput): Promise<ReconcileResult> {
  const { configDir, revision, signal, logger } = input;
  const planStart = performance.now();

  // Load and validate the config at the revision.
  const loaded = await loadConfig(configDir);
  logDiagnostics(logger, loaded.diagnostics);
  const settings = loaded.model.settings;
  if (settings === undefined) {
    const message = "the config has no valid Settings document, so the status file cannot be written; fix the errors logged above";
    logger.error({ revision }, "config has no valid Settings document");
    return { ...emptyResult(), outcome: "failed", message, timings: { planMs: performance.now() - planStart, applyMs: 0, statusMs: 0 } };
  }
  signal.throwIfAborted();

  // Observe: the committed status file replaces the observed cloud state.
  const statusFile = path.posix.normalize(settings.statusFile);
  const { status: previous, diagnostics: statusDiagnostics } = await readStatusFile(configDir, statusFile);
  logDiagnostics(logger, statusDiagnostics);
  const model = withUnreadableIdentities(loaded.model, previous);

  // Plan.
  const plan = planOffline(model, previous, revision);
  const planMs = performance.now() - planStart;
  logger.info({ ...plan.summary, pending: plan.pending.length, invalid: plan.invalid.length, orphans: plan.orphans.length }, "plan computed");
  signal.throwIfAborted();

  // Apply: nothing, because this runner has no cloud access.
  const suspended = input.suspend === true || settings.suspend;
  const notAppliedBecause = suspended ? "applying is suspended" : "the daemon runs offline and has no cloud access";
  if (plan.changes.length > 0) logger.info({ changes: plan.changes.length, suspended }, "changes not applied");

  // Status: built from the plan and written when its content changed; the daemon commits it.
  const statusStart = performance.now();
  const status = buildUnappliedStatus({ model, plan, previous, revision, notAppliedBecause });
  const statusChanged = await writeStatusFile(configDir, statusFile, status);
  const statusMs = performance.now() - statusStart;

  return {
    outcome: "success",
    statusFile,
    statusChanged,
    summary: { create: 0, update: 0, delete: 0 },
    pending: plan.changes.length + plan.pending.length,
    suspended,
    identities: countStates(status),
    retryable: false,
    timings: { planMs, applyMs: 0, statusMs },
  };
}

function emptyResult(): Omit<ReconcileResult, "outcome" | "timings"> {
  return { statusFile: null, statusChanged: false, summary: { create: 0, update: 0, delete: 0 }, pending: 0, suspended: false, identities: {}, retryable: false };
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
