import type { Plan, ResourceChange } from "../../plan/types.js";
import { formatChange } from "./plan-text.js";

/**
 * Renders a plan as GitHub-flavored Markdown, for a pull request comment or the job
 * summary (`>> $GITHUB_STEP_SUMMARY`): the summary line, the changes as a diff block,
 * and the pending installs, conflicts, orphans, invalid identities and failed
 * integrations as lists.
 */
export function formatPlanGithub(plan: Plan): string {
  const lines = [`### wid plan (${plan.mode === "online" ? "compared with the cloud" : "offline, compared with the status file"})`, ""];
  lines.push(`**Plan: ${plan.summary.create} to create, ${plan.summary.update} to update, ${plan.summary.delete} to delete.**`);

  block(lines, "Changes", plan.changes);
  block(lines, "Pending install (install: false; nothing is applied)", plan.pending);
  list(lines, "Conflicts (left untouched)", plan.conflicts.map((note) => `\`${note.identity}\` (${note.integration}): ${note.message}`));
  list(lines, "Orphans", plan.orphans.map((note) => `\`${note.identity}\` (${note.integration}): ${note.message}`));
  list(lines, "Invalid (kept as last installed)", plan.invalid.map((note) => `\`${note.identity}\`: ${note.message}`));
  list(lines, "Failed integrations", plan.failedIntegrations.map((note) => `\`${note.integration}\` (${note.provider}): ${note.message}`));
  list(lines, "Not supported by this build", plan.skippedIntegrations.map((note) => `\`${note.integration}\` (${note.provider}): ${note.message}`));
  return lines.join("\n");
}

function block(lines: string[], title: string, changes: readonly ResourceChange[]): void {
  if (changes.length === 0) return;
  // diff highlighting colors the +, ~ and - lines; the text is the same as the terminal's.
  lines.push("", `#### ${title}`, "", "```diff", ...changes.map((change) => formatChange(change).replace(/^ {2}~/, "!")), "```");
}

function list(lines: string[], title: string, items: readonly string[]): void {
  if (items.length === 0) return;
  lines.push("", `#### ${title}`, "", ...items.map((item) => `- ${item}`));
}
