import type { ApplyReport } from "../../apply/types.js";
import type { Plan } from "../../plan/types.js";
import type { ResourceOutcome } from "../../providers/types.js";

/** The plan and status file that `wid apply` prints besides the report. */
export interface ApplyContext {
  plan: Plan;
  statusFile: string | undefined;
  statusWritten: boolean;
}

/**
 * Renders an apply for a terminal: each resource's outcome grouped by integration,
 * failures with their message, the plan's pending installs, conflicts, orphans and
 * failed or unsupported integrations, then the summary line and the names of the
 * integrations and identities that failed.
 */
export function formatApplyText(report: ApplyReport, context: ApplyContext): string {
  const lines: string[] = [];
  let integration: string | undefined;
  for (const outcome of report.outcomes) {
    if (outcome.integration !== integration) {
      integration = outcome.integration;
      lines.push(`${integration}:`);
    }
    lines.push(formatOutcome(outcome));
  }

  const { plan } = context;
  section(lines, "Pending install (install: false; nothing was applied)", plan.pending.map((change) => `  ${change.action} ${change.resource} (${change.identity ?? change.integration})`));
  section(lines, "Conflicts (left untouched)", plan.conflicts.map((note) => `  ! ${note.identity} (${note.integration}): ${note.message}`));
  section(lines, "Orphans", plan.orphans.map((note) => `  ? ${note.identity} (${note.integration}): ${note.message}`));
  section(lines, "Invalid (kept as last installed)", plan.invalid.map((note) => `  x ${note.identity}: ${note.message}`));
  section(lines, "Failed integrations", report.failedIntegrations.map((note) => `  x ${note.integration} (${note.provider}): ${note.message}`));
  section(lines, "Not supported by this build (left as they are)", plan.skippedIntegrations.map((note) => `  - ${note.integration} (${note.provider}): ${note.message}`));

  const { created, updated, deleted, unchanged, failed } = report.summary;
  const verdict = failed > 0 || report.failedIntegrations.length > 0 ? "Apply failed" : "Apply complete";
  lines.push("", `${verdict}: ${created} created, ${updated} updated, ${deleted} deleted, ${unchanged} unchanged, ${failed} failed.`);
  if (report.failed.integrations.length > 0) lines.push(`Failed integrations: ${report.failed.integrations.join(", ")}.`);
  if (report.failed.identities.length > 0) lines.push(`Failed identities: ${report.failed.identities.map((entry) => `${entry.identity} (${entry.integration})`).join(", ")}.`);
  if (context.statusFile !== undefined) lines.push(context.statusWritten ? `Status file ${context.statusFile} written.` : `Status file ${context.statusFile} unchanged.`);
  return lines.join("\n");
}

/** Builds the `wid apply --format json` document. */
export function applyJson(report: ApplyReport, context: ApplyContext, outcome: string): Record<string, unknown> {
  return {
    outcome,
    summary: report.summary,
    failed: report.failed,
    outcomes: report.outcomes,
    failedIntegrations: report.failedIntegrations,
    skippedIntegrations: context.plan.skippedIntegrations,
    pending: context.plan.pending,
    conflicts: context.plan.conflicts,
    orphans: context.plan.orphans,
    invalid: context.plan.invalid,
    statusFile: context.statusFile === undefined ? null : { path: context.statusFile, written: context.statusWritten },
  };
}

function formatOutcome(outcome: ResourceOutcome): string {
  const owner = outcome.identity === null ? "" : ` (${outcome.identity})`;
  const line = `  ${outcome.outcome.padEnd(9)} ${outcome.resource}${owner}`;
  return outcome.message === undefined ? line : `${line}\n      ${outcome.message}`;
}

function section(lines: string[], title: string, body: readonly string[]): void {
  if (body.length === 0) return;
  lines.push("", `${title}:`, ...body);
}
