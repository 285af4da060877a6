import { formatReadiness, workloadReadiness } from "../../plan/readiness.js";
import type { Plan, ResourceChange } from "../../plan/types.js";

const SYMBOL: Record<ResourceChange["action"], string> = { create: "+", update: "~", delete: "-" };

/**
 * Renders a plan for a terminal: what it was compared with (the cloud, the status file,
 * or, with `statusMissing`, nothing), then changes, pending installs, conflicts, orphans,
 * invalid identities and the workload mapping, ending with the summary line
 * `Plan: N to create, N to update, N to delete.`
 */
export function formatPlanText(plan: Plan, options: { statusFile?: string; statusMissing?: boolean } = {}): string {
  const lines: string[] = [];
  if (plan.mode === "offline" && options.statusMissing === true) {
    lines.push(
      `Offline plan: status file ${options.statusFile ?? ""} not found, so every identity is planned as new, as on a first run. The cloud was not read; resources that already exist there are not visible.`,
    );
  } else if (plan.mode === "offline") {
    lines.push(`Offline plan: compared with ${options.statusFile ?? "the status file"}, not with the cloud; drift is not visible.`);
  } else {
    const read = Object.entries(plan.integrations).filter(([, state]) => state.account !== undefined);
    if (read.length > 0) lines.push(`Compared with the cloud: ${read.map(([name, state]) => `${name} (account ${state.account ?? ""})`).join(", ")}.`);
  }

  section(lines, "Changes", plan.changes.map(formatChange));
  section(lines, "Pending install (install: false; nothing is applied)", plan.pending.map(formatChange));
  section(lines, "Conflicts (left untouched)", plan.conflicts.map((note) => `  ! ${note.identity} (${note.integration}): ${note.message}`));
  section(lines, "Orphans", plan.orphans.map((note) => `  ? ${note.identity} (${note.integration}): ${note.message}`));
  section(lines, "Invalid (kept as last installed)", plan.invalid.map((note) => `  x ${note.identity}: ${note.message}`));
  section(
    lines,
    "Failed integrations",
    plan.failedIntegrations.map((failure) => `  x ${failure.integration} (${failure.provider}): ${failure.message}`),
  );
  section(
    lines,
    "Not supported by this build (left as they are)",
    plan.skippedIntegrations.map((note) => `  - ${note.integration} (${note.provider}): ${note.message}`),
  );
  section(lines, "Workloads", formatWorkloads(plan));

  lines.push("", `Plan: ${plan.summary.create} to create, ${plan.summary.update} to update, ${plan.summary.delete} to delete.`);
  return lines.join("\n").replace(/^\n+/, "");
}

export function formatChange(change: ResourceChange): string {
  const owner = change.identity === null ? change.integration : `${change.integration}/${change.identity}`;
  const lines = [`  ${SYMBOL[change.action]} ${change.action} ${change.resource} (${owner}): ${change.reason}`];
  const diff = change.diff;
  if (diff !== undefined) {
    for (const statement of diff.statements ?? []) {
      const label = statement.sid !== undefined ? `statement ${statement.statement} (${statement.sid})` : `statement ${statement.statement}`;
      const parts = [
        ...statement.actionsAdded.map((action) => `+ ${action}`),
        ...statement.actionsRemoved.map((action) => `- ${action}`),
        ...statement.resourcesAdded.map((resource) => `+ ${resource}`),
        ...statement.resourcesRemoved.map((resource) => `- ${resource}`),
        ...statement.other,
      ];
      lines.push(`      ${label} ${statement.change}: ${parts.join(", ")}`);
    }
    const permissions = [...(diff.permissionsAdded ?? []).map((p) => `+ ${p}`), ...(diff.permissionsRemoved ?? []).map((p) => `- ${p}`)];
    if (permissions.length > 0) lines.push(`      permissions: ${permissions.join(", ")}`);
    for (const attribute of diff.attributes ?? []) lines.push(`      ${attribute}`);
  }
  return lines.join("\n");
}

/**
 * Lists each workload's identity per provider with its readiness: `ready` (works now),
 * `ready after apply`, or `not ready: REASON`.
 */
function formatWorkloads(plan: Plan): string[] {
  const lines: string[] = [];
  for (const [key, entry] of Object.entries(plan.workloads)) {
    const parts: string[] = [];
    for (const [provider, status] of Object.entries(entry)) {
      const readiness = formatReadiness(workloadReadiness(plan, status));
      if (status.identity === null) {
        parts.push(`${provider}: none (${readiness})`);
        continue;
      }
      const extras = [readiness];
      if (status.shadowed.length > 0) extras.push(`shadows ${status.shadowed.join(", ")}`);
      if (status.notInstalled.length > 0) extras.push(`not installed: ${status.notInstalled.join(", ")}`);
      parts.push(`${provider}: ${status.identity} (${extras.join("; ")})`);
    }
    lines.push(`  ${key}  ${parts.join("  ")}`);
  }
  return lines;
}

function section(lines: string[], title: string, body: readonly string[]): void {
  if (body.length === 0) return;
  lines.push("", `${title}:`, ...body);
}
