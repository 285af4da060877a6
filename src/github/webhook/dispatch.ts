import PQueue from "p-queue";
import type { Logger } from "pino";

import { DEFAULT_CHECK_NAME } from "../check-run.js";
import type { GithubAppCredentials } from "../client.js";
import { createInstallationOctokitFactory } from "../client.js";
import { DEFAULT_GITHUB_API_URL } from "../config.js";
import type { PullRequestEvent } from "../event.js";
import { EventPayloadError, readPullRequestEvent } from "../event.js";
import type { JsonRecord } from "../json.js";
import { integerAt, recordAt, stringAt } from "../json.js";
import { createOctokitHost } from "../octokit-host.js";
import type { Planner } from "../planner.js";
import { runPlanCheck } from "../run-check.js";
import { fetchConfigAtCommit, normalizeConfigPath } from "./fetch-config.js";
import { branchStatusReader } from "./status.js";

/** Pull request actions that change the head commit or reopen the pull request. */
const PLANNED_ACTIONS: ReadonlySet<string> = new Set(["opened", "synchronize", "reopened"]);

/** Settings of the GitHub App's handling of verified deliveries. */
export interface GithubEventOptions {
  /** The App's ID and private key, and the REST API base URL (default `https://api.github.com`). */
  app: GithubAppCredentials & { apiUrl?: string };
  /** `OWNER/NAME` of the config repository. Events of other repositories are ignored. */
  repository: string;
  /** The branch wid reconciles: pushes to it trigger a reconcile, pull requests into it are planned. */
  branch: string;
  /** The config folder inside the repository. Default: the repository root. */
  configPath?: string;
  /**
   * The App installation whose deliveries are handled; deliveries of other
   * installations are ignored. Default: any installation, whose `installation.id` the
   * installation token is then requested for.
   */
  installationId?: number;
  /** Plans the pull request's config. The daemon passes its cloud-reading planner here. */
  planner: Planner;
  /** The reason the planner plans offline, shown in the check; null (the default) when it reads the cloud. */
  offlineReason?: string | null;
  /** Called on a push to `branch`. It should only schedule a run: the run reads git and the cloud afresh. */
  triggerReconcile: () => void | Promise<void>;
  logger: Logger;
  /** Check run name. Default `wid plan`. */
  checkName?: string;
  /** Also keep a plan comment on each pull request. Default false. */
  comment?: boolean;
  /** Pull request checks run at once; later ones wait. Default 2. */
  concurrency?: number;
}

/** The response to a delivery: its HTTP status and a JSON body with `status`, `reason` or `error`. */
export interface DispatchResult {
  status: number;
  body: Record<string, string>;
}

/** Handles verified deliveries, such as those the daemon's webhook passes on. */
export interface GithubEventDispatcher {
  /**
   * Handles one delivery whose signature was verified. It returns at once: a pull
   * request check runs in the background.
   */
  dispatch(event: string, payload: JsonRecord, logger: Logger): DispatchResult;
  /** Resolves once every accepted delivery has been processed, for shutdown and tests. */
  idle(): Promise<void>;
}

/**
 * Creates the App's handling of verified deliveries. A `pull_request` event (opened,
 * synchronize, reopened) into `branch` of `repository` gets 202, then its YAML files at
 * the head commit are fetched as data, planned, and posted as a check run with an
 * installation token. A `push` to `branch` calls `triggerReconcile`. Other events get
 * 200 and are ignored. Throws a TypeError at creation when an option is malformed.
 */
export function createGithubEventDispatcher(options: GithubEventOptions): GithubEventDispatcher {
  const settings = checkOptions(options);
  const installationOctokit = createInstallationOctokitFactory(settings.apiUrl, options.app, options.logger);
  const queue = new PQueue({ concurrency: options.concurrency ?? 2 });
  const triggers = new Set<Promise<void>>();

  const planPullRequest = async (pullRequest: PullRequestEvent, installationId: number, log: Logger): Promise<void> => {
    const octokit = await installationOctokit(installationId);
    const host = createOctokitHost(octokit, { owner: settings.owner, repo: settings.repo });
    await runPlanCheck({
      host,
      logger: log,
      name: options.checkName ?? DEFAULT_CHECK_NAME,
      headSha: pullRequest.headSha,
      pullRequest: pullRequest.number,
      comment: options.comment ?? false,
      planner: options.planner,
      offlineReason: options.offlineReason ?? null,
      prepare: async () => {
        const fetched = await fetchConfigAtCommit(host, pullRequest.headSha, settings.configPath);
        log.info({ files: fetched.files }, "pull request config fetched");
        return {
          root: fetched.root,
          pathPrefix: settings.configPath,
          readStatus: branchStatusReader(host, options.branch, settings.configPath),
          dispose: fetched.dispose,
        };
      },
    });
  };

  const dispatch = (event: string, payload: JsonRecord, log: Logger): DispatchResult => {
    if (event === "ping") return { status: 200, body: { status: "pong" } };
    const repository = stringAt(recordAt(payload, "repository"), "full_name");
    if (repository === undefined || repository.toLowerCase() !== options.repository.toLowerCase()) {
      return ignored(`events of repository ${repository ?? "(none)"} are not for this config repository`);
    }

    if (event === "push") {
      if (stringAt(payload, "ref") !== `refs/heads/${options.branch}`) return ignored(`push is not to branch ${options.branch}`);
      if (payload.deleted === true) return ignored("the push deleted the branch");
      const trigger = Promise.resolve()
        .then(() => options.triggerReconcile())
        .then(() => log.info({}, "reconcile triggered"))
        .catch((error: unknown) => log.error({ err: error }, "reconcile trigger failed"))
        .finally(() => triggers.delete(trigger));
      triggers.add(trigger);
      return { status: 202, body: { status: "accepted", action: "reconcile" } };
    }

    if (event !== "pull_request") return ignored(`event ${event} is not handled`);
    const action = stringAt(payload, "action") ?? "";
    if (!PLANNED_ACTIONS.has(action)) return ignored(`pull_request action ${action} does not change the head commit`);
    let pullRequest: PullRequestEvent | undefined;
    try {
      pullRequest = readPullRequestEvent(payload);
    } catch (error) {
      if (error instanceof EventPayloadError) return { status: 400, body: { error: error.message } };
      throw error;
    }
    if (pullRequest === undefined) return { status: 400, body: { error: "invalid event payload: pull_request is missing" } };
    if (pullRequest.baseRef !== options.branch) return ignored(`the pull request targets ${pullRequest.baseRef}, not ${options.branch}`);
    const installationId = integerAt(recordAt(payload, "installation"), "id");
    if (installationId === undefined) return { status: 400, body: { error: "invalid event payload: installation.id is missing; deliveries must come from the GitHub App" } };
    if (options.installationId !== undefined && installationId !== options.installationId) return ignored(`installation ${installationId} is not the configured installation`);

    const jobLog = log.child({ pullRequest: pullRequest.number, headSha: pullRequest.headSha });
    void queue.add(() => planPullRequest(pullRequest, installationId, jobLog).catch((error: unknown) => jobLog.error({ err: error }, "pull request check failed")));
    return { status: 202, body: { status: "accepted", action: "check" } };
  };

  return {
    dispatch,
    idle: async (): Promise<void> => {
      while (triggers.size > 0 || queue.size > 0 || queue.pending > 0) {
        await Promise.all([...triggers, queue.onIdle()]);
      }
    },
  };
}

function checkOptions(options: GithubEventOptions): { owner: string; repo: string; apiUrl: string; configPath: string } {
  const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(options.repository);
  if (match === null) throw new TypeError(`GitHub App options: repository ${JSON.stringify(options.repository)} must be OWNER/NAME`);
  if (options.branch === "" || options.branch.startsWith("refs/")) throw new TypeError("GitHub App options: branch must be a branch name such as main, without refs/heads/");
  return {
    owner: match[1] as string,
    repo: match[2] as string,
    apiUrl: (options.app.apiUrl ?? DEFAULT_GITHUB_API_URL).replace(/\/+$/, ""),
    configPath: normalizeConfigPath(options.configPath ?? ""),
  };
}

function ignored(reason: string): DispatchResult {
  return { status: 200, body: { status: "ignored", reason } };
}
