import type { Logger } from "pino";

import type { CheckAnnotation, CheckRunOutput, GitHost } from "./host.js";
import { clampText, escapeMarkdown } from "./markdown.js";
import type { CheckReport } from "./report.js";

/** The number of annotations GitHub accepts in one check run request. */
export const ANNOTATIONS_PER_REQUEST = 50;

/** The check run name shown on pull requests. Default of `--name`. */
export const DEFAULT_CHECK_NAME = "wid plan";

/** Creates a check run in progress on `headSha`, so that the pull request shows wid is working. */
export async function startCheckRun(host: GitHost, name: string, headSha: string, now: () => Date = () => new Date()): Promise<{ id: number; url: string | null }> {
  return host.createCheckRun({
    name,
    headSha,
    status: "in_progress",
    startedAt: now().toISOString(),
    output: { title: "Planning", summary: "wid is validating and planning this commit." },
  });
}

/**
 * Completes a check run with a report. GitHub takes at most 50 annotations per request
 * and appends those of each update, so the annotations go in batches of 50 while the
 * run stays in progress, and the last batch completes it. Returns the number of updates.
 */
export async function completeCheckRun(host: GitHost, id: number, report: CheckReport, now: () => Date = () => new Date()): Promise<number> {
  const batches = batch(report.annotations, ANNOTATIONS_PER_REQUEST);
  const output = (annotations: CheckAnnotation[]): CheckRunOutput => ({
    title: report.title,
    summary: report.summary,
    ...(report.text !== "" ? { text: report.text } : {}),
    ...(annotations.length > 0 ? { annotations } : {}),
  });

  for (const annotations of batches.slice(0, -1)) {
    await host.updateCheckRun(id, { status: "in_progress", output: output(annotations) });
  }
  await host.updateCheckRun(id, { status: "completed", conclusion: report.conclusion, completedAt: now().toISOString(), output: output(batches.at(-1) ?? []) });
  return batches.length;
}

/**
 * Completes a check run as failed because wid itself failed (GitHub unreachable, a
 * file that could not be fetched), so that it never stays in progress. Errors of this
 * last call are logged, not thrown, so that the original error is the one reported.
 */
export async function failCheckRun(host: GitHost, id: number, error: unknown, logger: Logger, now: () => Date = () => new Date()): Promise<void> {
  const message = error instanceof Error ? error.message : String(error);
  try {
    await host.updateCheckRun(id, {
      status: "completed",
      conclusion: "failure",
      completedAt: now().toISOString(),
      output: {
        title: "wid could not plan this commit",
        summary: clampText(`wid failed before it could report a plan: ${escapeMarkdown(message)}\n\nRe-run the check; if it fails again, the message above says what to fix.`, 60_000),
      },
    });
  } catch (updateError) {
    logger.error({ checkRunId: id, err: updateError }, "check run could not be marked as failed");
  }
}

function batch<T>(items: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let start = 0; start < items.length; start += size) batches.push(items.slice(start, start + size));
  return batches.length > 0 ? batches : [[]];
}
