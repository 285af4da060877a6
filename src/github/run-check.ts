import type { Logger } from "pino";

import { completeCheckRun, failCheckRun, startCheckRun } from "./check-run.js";
import type { CommentResult } from "./comment.js";
import { upsertPlanComment } from "./comment.js";
import type { CheckConclusion, GitHost } from "./host.js";
import type { Planner, StatusReader } from "./planner.js";
import { loadAndPlan } from "./planner.js";
import { buildCheckReport } from "./report.js";

/** The config to plan, made ready after the check run shows as in progress. */
export interface PreparedConfig {
  /** The config folder on disk. */
  root: string;
  /** The config folder relative to the repository root, `""` at the root. */
  pathPrefix: string;
  /** Reads the previous status; default: the status file in `root`. */
  readStatus?: StatusReader;
  /** Removes temporary files; called once the check is done. */
  dispose?: () => Promise<void>;
}

export interface PlanCheckRequest {
  host: GitHost;
  logger: Logger;
  /** Check run name. */
  name: string;
  /** The commit the check run is posted on, and the revision planned. */
  headSha: string;
  /** The pull request to comment on, or null. */
  pullRequest: number | null;
  /** Also create or update the plan comment on the pull request. */
  comment: boolean;
  planner: Planner;
  /**
   * The reason the plan is offline, shown in the summary; null when the planner reads the
   * cloud. A reason the planner returns takes its place.
   */
  offlineReason: string | null;
  /** Makes the config available on disk: the checkout in Actions, fetched files in App mode. */
  prepare: () => Promise<PreparedConfig>;
}

export interface PlanCheckResult {
  checkRunId: number;
  url: string | null;
  conclusion: CheckConclusion;
  title: string;
  annotations: number;
  /** Check run updates sent after the create. */
  updates: number;
  comment: CommentResult | null;
}

/**
 * Posts a plan as a check run: create it in progress, prepare the config, load and plan
 * it, then complete the run with the report, and optionally update the pull request
 * comment. When a step fails after the run exists, the run is completed as failed so
 * that it never stays in progress, and the error is thrown on.
 */
export async function runPlanCheck(request: PlanCheckRequest): Promise<PlanCheckResult> {
  const { host, logger } = request;
  const log = logger.child({ headSha: request.headSha, pullRequest: request.pullRequest });

  const run = await startCheckRun(host, request.name, request.headSha);
  log.info({ checkRunId: run.id }, "check run started");
  let completed = false;
  let prepared: PreparedConfig | undefined;
  try {
    // Load, plan and report: no writes until the report is complete.
    prepared = await request.prepare();
    const outcome = await loadAndPlan(prepared.root, request.planner, request.headSha, prepared.readStatus);
    const report = buildCheckReport(outcome, { offlineReason: outcome.offlineReason ?? request.offlineReason, pathPrefix: prepared.pathPrefix });

    // Publish the report, then the comment.
    const updates = await completeCheckRun(host, run.id, report);
    completed = true;
    log.info({ checkRunId: run.id, conclusion: report.conclusion, annotations: report.annotations.length, updates }, "check run completed");

    let comment: CommentResult | null = null;
    if (request.comment && request.pullRequest !== null) {
      comment = await upsertPlanComment(host, request.pullRequest, report.title, report.summaryBlocks);
      log.info({ created: comment.created, updated: comment.updated, unchanged: comment.unchanged, deleted: comment.deleted }, "plan comment written");
    }
    return { checkRunId: run.id, url: run.url, conclusion: report.conclusion, title: report.title, annotations: report.annotations.length, updates, comment };
  } catch (error) {
    if (!completed) await failCheckRun(host, run.id, error, log);
    throw error;
  } finally {
    await prepared?.dispose?.();
  }
}
