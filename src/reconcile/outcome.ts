import { hasErrors } from "../config/diagnostics.js";
import type { ReconcileResult } from "./run.js";

/**
 * Outcome of a reconcile that finished, as every log line, metric and status commit
 * names it:
 * - `success`: every integration was read, every change was made (or, when nothing is
 *   applied, planned), and the config has no errors;
 * - `partial`: some integration could not be read, some change failed, or the config
 *   has errors, while the rest reconciled;
 * - `failed`: nothing could be reconciled, because no integration could be read, the
 *   config has no valid Settings document, or a saved plan is out of date.
 *
 * A run that applies nothing (`--offline`, `--suspend`, `wid plan`) has the same
 * outcomes: that it applied nothing is its mode, not its outcome.
 */
export type FinishedOutcome = "success" | "partial" | "failed";

/** Outcome of a run in logs and metrics: {@link FinishedOutcome}, or `aborted` when a shutdown stopped it at a safe point. */
export type RunOutcome = FinishedOutcome | "aborted";

/** The outcome of a finished reconcile, and what kept it from a full success. */
export interface RunVerdict {
  outcome: FinishedOutcome;
  /** The cause of a failure, as one sentence of clauses joined by `; `. Absent on success. */
  reason?: string;
}

/**
 * Change counts of a run, with the same names and meaning in every log line of the
 * reconcile pipeline and of the daemon.
 */
export interface RunCounts {
  /** Changes written in this run, by action. */
  created: number;
  updated: number;
  deleted: number;
  /** Changes whose write failed in this run. */
  failed: number;
  /** Changes that wait for `install: true` or for the end of a suspension. */
  pending: number;
  /** Planned changes that this run did not write because it only plans or is offline. */
  notApplied: number;
}

/** Judges a finished reconcile: its outcome, and the reason when it is not a success. */
export function judgeRun(result: ReconcileResult): RunVerdict {
  // Without a plan (no valid Settings) or with a refused saved plan, nothing was reconciled.
  if (result.plan === undefined || result.outcome === "stale-plan" || result.outcome === "invalid-config") {
    return { outcome: "failed", reason: result.message ?? "the config has no valid Settings document" };
  }

  const problems = problemsOf(result);
  if (problems.length === 0) return { outcome: "success" };
  const integrations = result.loaded.model.integrations.size;
  const noneRead = integrations > 0 && result.plan.failedIntegrations.length === integrations;
  return { outcome: noneRead ? "failed" : "partial", reason: problems.join("; ") };
}

/** Counts the changes of a reconcile as {@link RunCounts}. */
export function countChanges(result: ReconcileResult): RunCounts {
  const applied = result.report?.summary;
  return {
    created: applied?.created ?? 0,
    updated: applied?.updated ?? 0,
    deleted: applied?.deleted ?? 0,
    failed: applied?.failed ?? 0,
    pending: result.plan?.pending.length ?? 0,
    notApplied: result.report === undefined ? (result.plan?.changes.length ?? 0) : 0,
  };
}

/** Returns what kept the run from a full success, as clauses: failed integrations, failed changes, invalid files. */
function problemsOf(result: ReconcileResult): string[] {
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
