import { buildAnnotations } from "./annotations.js";
import type { CheckAnnotation, CheckConclusion } from "./host.js";
import type { MarkdownBlock } from "./markdown.js";
import { CHECK_OUTPUT_LIMIT, truncateMarkdown } from "./markdown.js";
import type { PlanOutcome } from "./planner.js";
import { buildSummaryBlocks, buildTextBlocks } from "./summary.js";

/** Everything a check run shows, computed without side effects. */
export interface CheckReport {
  conclusion: CheckConclusion;
  /** The plan summary in one line. */
  title: string;
  /** Markdown of at most {@link CHECK_OUTPUT_LIMIT} bytes. */
  summary: string;
  /** Markdown of at most {@link CHECK_OUTPUT_LIMIT} bytes. */
  text: string;
  annotations: CheckAnnotation[];
  /** The summary's blocks, before truncation, for a pull request comment. */
  summaryBlocks: MarkdownBlock[];
}

export interface ReportContext {
  offlineReason: string | null;
  /** The config folder relative to the repository root, `""` at the root. */
  pathPrefix: string;
}

/**
 * Maximum number of annotations posted on one check run: 20 requests of 50, about 20
 * seconds of writes. Diagnostics come first, so they are the last to be cut.
 * NOTE: GitHub documents no cap of its own per check run; this one bounds the time a
 * check of a very large change takes.
 */
export const MAX_ANNOTATIONS = 1000;

/** Appended to a summary or text cut to fit GitHub's limit. */
export const TRUNCATED_NOTE = "_Truncated: the full report exceeds GitHub's limit of 65,535 characters. Run `wid plan --offline` on this commit for the whole plan._";

/**
 * Builds the check report of a plan outcome. The conclusion is `failure` when the
 * config has errors or could not be planned. Otherwise it is `neutral` when something
 * needs a person (changes pending install, conflicts, integrations that could not be
 * planned), and `success` when the plan can be applied as it is.
 */
export function buildCheckReport(outcome: PlanOutcome, context: ReportContext): CheckReport {
  const annotations = buildAnnotations({ model: outcome.model, diagnostics: outcome.diagnostics, plan: outcome.plan, pathPrefix: context.pathPrefix });
  const summaryBlocks = buildSummaryBlocks(outcome, context);
  if (annotations.length > MAX_ANNOTATIONS) {
    const note = `**Annotations:** the first ${MAX_ANNOTATIONS.toLocaleString("en-US")} of ${annotations.length.toLocaleString("en-US")} are shown on the lines; the details list every diagnostic.`;
    summaryBlocks.unshift({ kind: "markdown", lines: [note] });
  }
  return {
    conclusion: conclusionOf(outcome),
    title: titleOf(outcome),
    summary: truncateMarkdown(summaryBlocks, CHECK_OUTPUT_LIMIT, TRUNCATED_NOTE),
    text: truncateMarkdown(buildTextBlocks(outcome, context.pathPrefix), CHECK_OUTPUT_LIMIT, TRUNCATED_NOTE),
    annotations: annotations.slice(0, MAX_ANNOTATIONS),
    summaryBlocks,
  };
}

function conclusionOf(outcome: PlanOutcome): CheckConclusion {
  const plan = outcome.plan;
  if (plan === undefined || outcome.diagnostics.some((diagnostic) => diagnostic.severity === "error")) return "failure";
  if (plan.pending.length > 0 || plan.conflicts.length > 0 || plan.failedIntegrations.length > 0) return "neutral";
  return "success";
}

/** For example `Plan: 1 to create, 2 to update, 0 to delete; 3 changes pending install`. */
function titleOf(outcome: PlanOutcome): string {
  const plan = outcome.plan;
  const errors = outcome.diagnostics.filter((diagnostic) => diagnostic.severity === "error").length;
  const errorText = errors > 0 ? `${errors} validation error${errors === 1 ? "" : "s"}` : "";
  if (plan === undefined) return errorText !== "" ? `${errorText}; no plan` : "No Settings document; no plan";

  const parts = [`${plan.mode === "offline" ? "Offline plan" : "Plan"}: ${plan.summary.create} to create, ${plan.summary.update} to update, ${plan.summary.delete} to delete`];
  if (plan.pending.length > 0) parts.push(`${plan.pending.length} change${plan.pending.length === 1 ? "" : "s"} pending install`);
  if (plan.conflicts.length > 0) parts.push(`${plan.conflicts.length} conflict${plan.conflicts.length === 1 ? "" : "s"}`);
  if (plan.failedIntegrations.length > 0) parts.push(`${plan.failedIntegrations.length} failed integration${plan.failedIntegrations.length === 1 ? "" : "s"}`);
  const title = parts.join("; ");
  return errorText !== "" ? `${errorText}; ${title}` : title;
}
