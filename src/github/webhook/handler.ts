import type { IncomingMessage, ServerResponse } from "node:http";

import PQueue from "p-queue";
import type { Logger } from "pino";

import { DEFAULT_CHECK_NAME } from "../check-run.js";
import type { GithubAppCredentials } from "../client.js";
import { createInstallationOctokitFactory } from "../client.js";
import { DEFAULT_GITHUB_API_URL } from "../config.js";
import type { PullRequestEvent } from "../event.js";
import { EventPayloadError, readPullRequestEvent } from "../event.js";
import type { JsonRecord } from "../json.js";
import { integerAt, isRecord, recordAt, stringAt } from "../json.js";
import { createOctokitHost } from "../octokit-host.js";
import type { Planner } from "../planner.js";
import { runPlanCheck } from "../run-check.js";
import { fetchConfigAtCommit, normalizeConfigPath } from "./fetch-config.js";
import { SIGNATURE_HEADER, verifySignature } from "./signature.js";
import { branchStatusReader } from "./status.js";

/** GitHub caps webhook payloads at 25 MB; larger bodies are rejected unread. */
export const MAX_WEBHOOK_BODY_BYTES = 25 * 1024 * 1024;

/** Pull request actions that change the head commit or reopen the pull request. */
const PLANNED_ACTIONS: ReadonlySet<string> = new Set(["opened", "synchronize", "reopened"]);

export interface GithubWebhookOptions {
  /** The webhook secret of the App; deliveries not signed with it get 401. */
  secret: string;
  /** The App's ID and private key, and the REST API base URL (default `https://api.github.com`). */
  app: GithubAppCredentials & { apiUrl?: string };
  /** `OWNER/NAME` of the config repository. Events of other repositories are ignored. */
  repository: string;
  /** The branch wid reconciles: pushes to it trigger a reconcile, pull requests into it are planned. */
  branch: string;
  /** The config folder inside the repository. Default: the repository root. */
  configPath?: string;
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

/** A Node request handler for GitHub App webhook deliveries. */
export interface GithubWebhookHandler {
  (request: IncomingMessage, response: ServerResponse): void;
  /** Resolves once every accepted delivery has been processed, for shutdown and tests. */
  idle(): Promise<void>;
}

/**
 * Creates the GitHub App webhook handler the daemon mounts. Each delivery's
 * `X-Hub-Signature-256` is verified against `secret` (401 when missing or wrong, and
 * nothing else happens). A `pull_request` event (opened, synchronize, reopened) into
 * `branch` of `repository` gets 202, then its YAML files at the head commit
 * are fetched as data, planned, and posted as a check run with an installation token. A
 * `push` to `branch` calls `triggerReconcile`. Other events get 200 and are ignored. Throws at creation when an option is missing or malformed.
 */
export function createGithubWebhookHandler(options: GithubWebhookOptions): GithubWebhookHandler {
  const settings = checkOptions(options);
  const logger = options.logger;
  const installationOctokit = createInstallationOctokitFactory(settings.apiUrl, options.app, logger);
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

  const dispatch = (event: string, payload: JsonRecord, log: Logger): { status: number; body: Record<string, string> } => {
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

    const jobLog = log.child({ pullRequest: pullRequest.number, headSha: pullRequest.headSha });
    void queue.add(() => planPullRequest(pullRequest, installationId, jobLog).catch((error: unknown) => jobLog.error({ err: error }, "pull request check failed")));
    return { status: 202, body: { status: "accepted", action: "check" } };
  };

  const handler = (request: IncomingMessage, response: ServerResponse): void => {
    const delivery = headerValue(request, "x-github-delivery");
    const event = headerValue(request, "x-github-event");
    const log = logger.child({ delivery, event });
    if (request.method !== "POST") {
      reply(response, 405, { error: "only POST is accepted" }, { allow: "POST" });
      return;
    }

    readBody(request, MAX_WEBHOOK_BODY_BYTES)
      .then((body) => {
        if (body === null) return reply(response, 413, { error: `the body exceeds ${MAX_WEBHOOK_BODY_BYTES} bytes` });
        if (!verifySignature(options.secret, body, headerValue(request, SIGNATURE_HEADER))) {
          log.warn({}, "webhook signature rejected");
          return reply(response, 401, { error: "missing or invalid X-Hub-Signature-256" });
        }
        if (event === undefined) return reply(response, 400, { error: "missing X-GitHub-Event header" });
        if (!(headerValue(request, "content-type") ?? "").startsWith("application/json")) {
          return reply(response, 415, { error: "set the webhook content type to application/json" });
        }
        const payload = parseJson(body);
        if (payload === undefined) return reply(response, 400, { error: "the body is not a JSON object" });

        const result = dispatch(event, payload, log);
        log.info({ status: result.status, result: result.body.status ?? result.body.error, reason: result.body.reason }, "webhook delivery handled");
        return reply(response, result.status, result.body);
      })
      .catch((error: unknown) => {
        log.error({ err: error }, "webhook delivery failed");
        if (!response.headersSent) reply(response, 500, { error: "internal error" });
      });
  };

  return Object.assign(handler, {
    idle: async (): Promise<void> => {
      while (triggers.size > 0 || queue.size > 0 || queue.pending > 0) {
        await Promise.all([...triggers, queue.onIdle()]);
      }
    },
  });
}

function checkOptions(options: GithubWebhookOptions): { owner: string; repo: string; apiUrl: string; configPath: string } {
  if (typeof options.secret !== "string" || options.secret === "") throw new TypeError("createGithubWebhookHandler: secret must be the non-empty webhook secret");
  const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(options.repository);
  if (match === null) throw new TypeError(`createGithubWebhookHandler: repository ${JSON.stringify(options.repository)} must be OWNER/NAME`);
  if (options.branch === "" || options.branch.startsWith("refs/")) throw new TypeError("createGithubWebhookHandler: branch must be a branch name such as main, without refs/heads/");
  return {
    owner: match[1] as string,
    repo: match[2] as string,
    apiUrl: (options.app.apiUrl ?? DEFAULT_GITHUB_API_URL).replace(/\/+$/, ""),
    configPath: normalizeConfigPath(options.configPath ?? ""),
  };
}

function ignored(reason: string): { status: number; body: Record<string, string> } {
  return { status: 200, body: { status: "ignored", reason } };
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Reads the whole body, or returns null when it exceeds `maxBytes` (the rest is drained unread). */
function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    request.on("end", () => resolve(tooLarge ? null : Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

function parseJson(body: Buffer): JsonRecord | undefined {
  try {
    const value: unknown = JSON.parse(body.toString("utf8"));
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function reply(response: ServerResponse, status: number, body: Record<string, string>, headers: Record<string, string> = {}): void {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(`${JSON.stringify(body)}\n`);
}
