import type { Diagnostic } from "../config/diagnostics.js";
import type { ConfigModel, Integration } from "../config/model.js";
import type { IdentityNote, IntegrationPlanState, Plan, ResourceChange } from "../plan/types.js";
import { summarize } from "../plan/types.js";
import { formatPlanText } from "../cli/output/plan-text.js";
import { repositoryPath } from "./annotations.js";
import { diffFragments } from "./describe.js";
import type { MarkdownBlock } from "./markdown.js";
import { escapeMarkdown, inlineCode } from "./markdown.js";
import type { PlanOutcome } from "./planner.js";

const SYMBOL: Record<ResourceChange["action"], string> = { create: "+", update: "~", delete: "-" };

export interface SummaryContext {
  /** The reason the plan is offline, or null when the planner gave none. */
  offlineReason: string | null;
  /** The config folder relative to the repository root, `""` at the root. */
  pathPrefix: string;
}

/**
 * Builds the summary of a check or comment: how the plan was made, counts, a table of changes
 * per integration, pending installs, conflicts, orphans, invalid identities, failed
 * integrations, shadowed identities, and the full text plan in a collapsible block.
 */
export function buildSummaryBlocks(outcome: PlanOutcome, context: SummaryContext): MarkdownBlock[] {
  const blocks: MarkdownBlock[] = [];
  const plan = outcome.plan;
  const errors = outcome.diagnostics.filter((diagnostic) => diagnostic.severity === "error").length;
  const warnings = outcome.diagnostics.length - errors;

  if (plan === undefined) {
    blocks.push(markdown("**No plan:** the config has no valid `Settings` document, so wid cannot plan it. Fix the errors annotated on their lines, or add a `Settings` document with `spec.issuer`."));
  } else {
    blocks.push(markdown(...modeNote(plan, outcome.statusFile, context.offlineReason, outcome.statusMissing === true)));
  }
  if (outcome.diagnostics.length > 0) {
    const invalidNote = errors > 0 ? " Identities with errors keep their last installed state until their files are fixed." : "";
    blocks.push(markdown(`**Validation:** ${count(errors, "error")}, ${count(warnings, "warning")}, annotated on their lines.${invalidNote}`));
  }
  if (plan === undefined) return blocks;

  blocks.push(countsBlock(plan));
  blocks.push(...integrationBlocks(outcome.model, plan));
  if (plan.pending.length > 0) {
    blocks.push(
      markdown(
        "### Pending install",
        "These identities have `install: false`: their changes are shown but nothing is applied until the file sets `install: true`.",
        "",
        ...changeTable(plan.pending, true),
      ),
    );
  }
  blocks.push(...noteList("Conflicts", "A resource of the same name exists that wid does not own; wid leaves it untouched.", plan.conflicts));
  blocks.push(...noteList("Orphans", "The file was removed; the cloud resources are kept because prune is off or deletes are suspended.", plan.orphans));
  blocks.push(...noteList("Invalid identities", "Nothing is created, changed or deleted for them until their files are fixed.", plan.invalid));
  if (plan.failedIntegrations.length > 0) {
    blocks.push(
      markdown(
        "### Failed integrations",
        ...plan.failedIntegrations.map((failure) => `- ${inlineCode(failure.integration)} (${failure.provider}): ${escapeMarkdown(failure.message)}`),
      ),
    );
  }
  blocks.push(...shadowedBlocks(plan));
  blocks.push({ kind: "collapsible", summary: "Full plan", lines: formatPlanText(plan, outcome.statusFile !== null ? { statusFile: outcome.statusFile } : {}).split("\n") });
  return blocks;
}

/** Builds the details of a check: every diagnostic with its location, and the workload mapping. */
export function buildTextBlocks(outcome: PlanOutcome, pathPrefix: string): MarkdownBlock[] {
  const blocks: MarkdownBlock[] = [];
  if (outcome.diagnostics.length > 0) {
    blocks.push(markdown("### Diagnostics", "", "| Location | Severity | Code | Message |", "| --- | --- | --- | --- |", ...outcome.diagnostics.map((diagnostic) => diagnosticRow(diagnostic, pathPrefix))));
  }
  const workloads = Object.entries(outcome.plan?.workloads ?? {});
  if (workloads.length > 0) {
    const rows = workloads.map(([key, entry]) => `| ${inlineCode(key)} | ${workloadCell(entry.aws)} | ${workloadCell(entry.gcp)} |`);
    blocks.push(markdown("### Workloads after apply", "", "| Workload | AWS | Google Cloud |", "| --- | --- | --- |", ...rows));
  }
  return blocks;
}

function modeNote(plan: Plan, statusFile: string | null, offlineReason: string | null, statusMissing: boolean): string[] {
  const file = statusFile !== null ? inlineCode(statusFile) : "the status file";
  if (plan.mode === "online") {
    const online = `Planned against the cloud${plan.revision !== null ? ` for commit ${inlineCode(plan.revision)}` : ""}.`;
    const offline = offlineIntegrations(plan);
    if (offline.length === 0) return [online];
    const list = offline.map(([name, state]) => `${inlineCode(name)} (${escapeMarkdown(state.message ?? "not read")})`).join(", ");
    const those = offline.length === 1 ? "that integration" : "those integrations";
    return [online, "", `> **Partly offline:** compared with ${file}, not with the cloud: ${list}. Drift in ${those} is not visible here.`];
  }
  const reason = offlineReason !== null ? `, because ${escapeMarkdown(offlineReason)}` : "";
  const missing = statusMissing ? ` ${file} does not exist yet, so every identity is planned as new, including any that already exist in the cloud.` : "";
  return [
    `> **Offline plan:** compared with ${file}, not with the cloud${reason}.${missing} ` +
      "Drift and changes made outside wid are not visible here; wid reads the cloud again before it applies anything.",
  ];
}

/**
 * Integrations of an online plan that were compared with the status file instead of the
 * cloud: the online planner gives them state `unknown`, which a read integration never has.
 */
function offlineIntegrations(plan: Plan): [string, IntegrationPlanState][] {
  return Object.entries(plan.integrations).filter(([, state]) => state.state === "unknown");
}

function countsBlock(plan: Plan): MarkdownBlock {
  const pending = summarize(plan.pending);
  const shadowing = Object.values(plan.workloads).filter((entry) => (entry.aws?.shadowed.length ?? 0) + (entry.gcp?.shadowed.length ?? 0) > 0).length;
  return markdown(
    "| | Create | Update | Delete |",
    "| --- | ---: | ---: | ---: |",
    `| Changes | ${plan.summary.create} | ${plan.summary.update} | ${plan.summary.delete} |`,
    `| Pending install | ${pending.create} | ${pending.update} | ${pending.delete} |`,
    "",
    [
      `Conflicts: ${plan.conflicts.length}`,
      `orphans: ${plan.orphans.length}`,
      `invalid identities: ${plan.invalid.length}`,
      `failed integrations: ${plan.failedIntegrations.length}`,
      `workloads with shadowed identities: ${shadowing}`,
    ].join(", ") + ".",
  );
}

function integrationBlocks(model: ConfigModel, plan: Plan): MarkdownBlock[] {
  const names = [...new Set([...model.integrations.keys(), ...plan.changes.map((change) => change.integration)])];
  if (names.length === 0) return [];
  const blocks: MarkdownBlock[] = [markdown("### Changes by integration")];
  for (const name of names) {
    const changes = plan.changes.filter((change) => change.integration === name);
    const heading = `#### ${inlineCode(name)}${describeIntegration(model.integrations.get(name))}`;
    const state = plan.integrations[name];
    const note = plan.mode === "online" && state?.state === "unknown" ? [`_Compared with the status file, not the cloud: ${escapeMarkdown(state.message ?? "not read")}._`, ""] : [];
    blocks.push(markdown(heading, "", ...note, ...(changes.length === 0 ? ["No changes."] : changeTable(changes, false))));
  }
  return blocks;
}

function describeIntegration(integration: Integration | undefined): string {
  if (integration === undefined) return "";
  if (integration.provider === "aws") return ` (AWS account ${integration.aws.accountId})`;
  return ` (Google Cloud project ${escapeMarkdown(integration.gcp.projectId)})`;
}

function changeTable(changes: readonly ResourceChange[], withIntegration: boolean): string[] {
  const header = withIntegration ? ["| | Resource | Integration | Identity | Change |", "| --- | --- | --- | --- | --- |"] : ["| | Resource | Identity | Change |", "| --- | --- | --- | --- |"];
  const rows = changes.map((change) => {
    const fragments = diffFragments(change.diff);
    const description = fragments.length > 0 ? fragments.join("; ") : change.reason;
    const identity = change.identity !== null ? inlineCode(change.identity) : "";
    const cells = [`${SYMBOL[change.action]} ${change.action}`, inlineCode(change.resource), ...(withIntegration ? [inlineCode(change.integration)] : []), identity, escapeMarkdown(description)];
    return `| ${cells.join(" | ")} |`;
  });
  return [...header, ...rows];
}

function noteList(title: string, explanation: string, notes: readonly IdentityNote[]): MarkdownBlock[] {
  if (notes.length === 0) return [];
  const lines = notes.map((note) => `- ${inlineCode(note.identity)}${note.integration !== "" ? ` (${inlineCode(note.integration)})` : ""}: ${escapeMarkdown(note.message)}`);
  return [markdown(`### ${title}`, explanation, "", ...lines)];
}

function shadowedBlocks(plan: Plan): MarkdownBlock[] {
  const rows: string[] = [];
  for (const [key, entry] of Object.entries(plan.workloads)) {
    for (const [provider, status] of Object.entries(entry)) {
      if (status.shadowed.length === 0 && status.notInstalled.length === 0) continue;
      const uses = status.identity !== null ? inlineCode(status.identity) : "none";
      const shadowed = status.shadowed.map(inlineCode).join(", ");
      const notInstalled = status.notInstalled.map(inlineCode).join(", ");
      rows.push(`| ${inlineCode(key)} | ${provider} | ${uses} | ${shadowed} | ${notInstalled} |`);
    }
  }
  if (rows.length === 0) return [];
  return [
    markdown(
      "### Shadowed identities",
      "A workload uses one identity per provider, the first by name; the other matching identities are shadowed. Matching identities that are neither installed nor marked `install: true` are listed as not installed.",
      "",
      "| Workload | Provider | Uses | Shadowed | Not installed |",
      "| --- | --- | --- | --- | --- |",
      ...rows,
    ),
  ];
}

function diagnosticRow(diagnostic: Diagnostic, pathPrefix: string): string {
  const location = `${repositoryPath(pathPrefix, diagnostic.file)}:${diagnostic.line}:${diagnostic.column}`;
  return `| ${inlineCode(location)} | ${diagnostic.severity} | ${inlineCode(diagnostic.code)} | ${escapeMarkdown(diagnostic.message)} |`;
}

function workloadCell(status: { identity: string | null; ready: boolean } | undefined): string {
  if (status === undefined) return "";
  if (status.identity === null) return "none";
  return `${inlineCode(status.identity)} (${status.ready ? "ready" : "not ready"})`;
}

function markdown(...lines: string[]): MarkdownBlock {
  return { kind: "markdown", lines };
}

function count(value: number, noun: string): string {
  return `${value} ${noun}${value === 1 ? "" : "s"}`;
}

