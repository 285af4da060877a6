import { setTimeout as sleep } from "node:timers/promises";

import type { Logger } from "pino";

import type { GitSettings } from "../git/client.js";
import { WorkFolder } from "../git/work-folder.js";
import type { GithubEventDispatcher } from "../github/webhook/dispatch.js";
import { createGithubEventDispatcher } from "../github/webhook/dispatch.js";
import type { KeySetSource } from "../issuer/key-source.js";
import type { DaemonConfig } from "./config.js";
import { READY_INTERVALS } from "./config.js";
import { runCycle } from "./cycle.js";
import type { CycleContext, RunReport, ShutdownSignals, TriggerSource } from "./cycle.js";
import type { GithubAppSettings } from "./http/github-app.js";
import { pullRequestListener } from "./http/github-app.js";
import { GITHUB_WEBHOOK_PATH, GithubWebhook } from "./http/github-webhook.js";
import { healthzHandler, metricsHandler, readyzHandler } from "./http/health.js";
import type { LastRun } from "./http/health.js";
import { IssuerMount } from "./http/issuer.js";
import { Router } from "./http/router.js";
import type { MountedHandler } from "./http/router.js";
import { startHttpServer } from "./http/server.js";
import type { HttpServer, ListenAddress } from "./http/server.js";
import { DaemonMetrics } from "./metrics/daemon-metrics.js";
import type { RunnerMode } from "./reconcile-runner.js";
import type { ReconcileRunner } from "./runner.js";
import type { RunnerChoice } from "./runners.js";
import { RunScheduler } from "./scheduler.js";
import type { ScheduleOptions, TriggerResult } from "./scheduler.js";

/** After the shutdown grace period, git commands are killed and the run gets this long to unwind. */
const KILL_WAIT_MS = 5_000;

/** Everything a daemon or a single run needs. */
export interface DaemonOptions {
  workFolder: { dir: string; remote: string; branch: string; subdir: string; git: GitSettings };
  runner: ReconcileRunner;
  /** The runner's mode, which every log line of a run carries. */
  mode: RunnerMode;
  logger: Logger;
  schedule: ScheduleOptions;
  timeoutMs: number;
  /** How long a shutdown waits for the run in progress before killing its git commands. */
  shutdownTimeoutMs: number;
  suspend: boolean;
  pushAttempts: number;
  /** The HTTP server, or null for none. */
  http: {
    listen: ListenAddress;
    /** Enables `POST /hooks/github` when set. */
    webhookSecret: string | undefined;
    /**
     * Signing keys whose JWKS the server publishes, with the discovery document of the
     * issuer in the last run's Settings. Default: no issuer routes.
     */
    issuerKeys?: KeySetSource;
    /** Plans pull requests as a GitHub App and posts check runs. Needs `webhookSecret`. Default: off. */
    githubApp?: GithubAppSettings;
    /** Handlers asked about requests that match no route, after the issuer's. */
    mounts?: MountedHandler[];
  } | null;
  /** Returns a number in [0, 1) for the jitter. Default Math.random. */
  random?: () => number;
  /** Returns the current Unix time in milliseconds. Default Date.now. */
  now?: () => number;
}

/** Routes of the HTTP server besides health, metrics and the webhook. */
export type HttpExtras = Pick<NonNullable<DaemonOptions["http"]>, "issuerKeys" | "githubApp" | "mounts">;

/** Maps validated command-line settings and the chosen runner to daemon options. */
export function daemonOptionsFromConfig(config: DaemonConfig, choice: RunnerChoice, logger: Logger, extras: HttpExtras = {}): DaemonOptions {
  return {
    workFolder: {
      dir: config.workDir,
      remote: config.remote,
      branch: config.branch,
      subdir: config.subdir,
      git: { auth: config.auth, environment: config.processEnvironment, author: config.author },
    },
    runner: choice.runner,
    mode: choice.mode,
    logger,
    schedule: { intervalMs: config.intervalMs, retryIntervalMs: config.retryIntervalMs, jitter: config.jitter },
    timeoutMs: config.timeoutMs,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    suspend: config.suspend,
    pushAttempts: config.pushAttempts,
    http: config.once ? null : { listen: config.listen, webhookSecret: config.webhookSecret, ...extras },
  };
}

/**
 * Runs one reconcile and returns its report: opens (or clones) the work folder, runs,
 * and releases the folder. `shutdown` stops the run as a daemon's shutdown would.
 */
export async function runOnce(options: DaemonOptions, shutdown: ShutdownSignals): Promise<RunReport> {
  const workFolder = await WorkFolder.open({ ...options.workFolder, logger: options.logger }, shutdown.kill);
  try {
    return await runCycle(cycleContext(options, workFolder), "startup", shutdown);
  } finally {
    await workFolder.close();
  }
}

function cycleContext(options: DaemonOptions, workFolder: WorkFolder): CycleContext {
  return { workFolder, runner: options.runner, mode: options.mode, logger: options.logger, suspend: options.suspend, pushAttempts: options.pushAttempts, timeoutMs: options.timeoutMs };
}

/**
 * The long-running reconciler: a scheduler that runs one reconcile at a time, an HTTP
 * server with health, readiness, metrics and the GitHub webhook, and an orderly stop.
 * Triggers (webhook, SIGHUP, timer) only request a run; each run reads git afresh.
 */
export class Daemon {
  readonly metrics = new DaemonMetrics();
  /** The HTTP routes. Register more with `router.add` or `router.mount`, such as a GitHub App's. */
  readonly router: Router;
  /** The GitHub webhook, or null when no secret is set. Other events can be handled with `webhook.on`. */
  readonly webhook: GithubWebhook | null;
  /** The GitHub App's pull request checks, or null without an App. */
  readonly pullRequestChecks: GithubEventDispatcher | null;

  private readonly scheduler: RunScheduler;
  private readonly stopController = new AbortController();
  private readonly killController = new AbortController();
  private readonly runListeners: ((report: RunReport) => void)[] = [];
  private readonly now: () => number;
  private readonly issuer: IssuerMount | null;
  private server: HttpServer | null = null;
  private lastRun: LastRun | null = null;
  private stopPromise: Promise<void> | null = null;

  private constructor(
    private readonly options: DaemonOptions,
    private readonly workFolder: WorkFolder,
  ) {
    this.now = options.now ?? Date.now;
    this.router = new Router(options.logger);
    this.scheduler = new RunScheduler({ ...options.schedule, run: (trigger) => this.run(trigger), logger: options.logger, ...(options.random !== undefined ? { random: options.random } : {}) });
    const secret = options.http?.webhookSecret;
    this.webhook =
      secret === undefined
        ? null
        : new GithubWebhook({ secret, branch: options.workFolder.branch, triggerRun: () => this.trigger("webhook"), record: (result) => this.metrics.webhookDelivery(result), logger: options.logger });
    this.pullRequestChecks = this.createPullRequestChecks();
    const keys = options.http?.issuerKeys;
    this.issuer = keys === undefined ? null : new IssuerMount(keys, options.logger);
    this.registerRoutes();
  }

  /** Opens the work folder, starts the HTTP server and the first run. */
  static async start(options: DaemonOptions): Promise<Daemon> {
    const workFolder = await WorkFolder.open({ ...options.workFolder, logger: options.logger });
    let daemon: Daemon;
    try {
      daemon = new Daemon(options, workFolder);
      if (options.http !== null) daemon.server = await startHttpServer(options.http.listen, daemon.router, options.logger);
    } catch (error) {
      await workFolder.close();
      throw error;
    }
    options.logger.info(
      {
        remote: options.workFolder.remote,
        branch: options.workFolder.branch,
        path: options.workFolder.subdir,
        intervalMs: options.schedule.intervalMs,
        webhook: daemon.webhook !== null,
        issuer: daemon.issuer !== null,
        githubApp: daemon.pullRequestChecks !== null,
        suspend: options.suspend,
      },
      "daemon started",
    );
    daemon.trigger("startup");
    return daemon;
  }

  /** The address the HTTP server listens on, or null without a server. */
  get httpAddress(): ListenAddress | null {
    return this.server?.address ?? null;
  }

  /** Requests a run now, or right after the one in progress. */
  trigger(source: TriggerSource): TriggerResult {
    this.metrics.triggered(source);
    const result = this.scheduler.trigger(source);
    if (source !== "startup") this.options.logger.info({ trigger: source, result }, "run requested");
    return result;
  }

  /** Calls `listener` with the report of every finished run. */
  onRunFinished(listener: (report: RunReport) => void): void {
    this.runListeners.push(listener);
  }

  /**
   * Stops the daemon: no new runs, the run in progress stops at its next safe point,
   * and after the shutdown grace period its git commands are killed. Then the server
   * closes and the work folder's lock is released. A second call kills at once.
   */
  async stop(reason: string): Promise<void> {
    if (this.stopPromise !== null) {
      this.killController.abort(new Error(`shutdown forced (${reason})`));
      return this.stopPromise;
    }
    this.stopPromise = this.shutdown(reason);
    return this.stopPromise;
  }

  private async shutdown(reason: string): Promise<void> {
    const { logger, shutdownTimeoutMs } = this.options;
    logger.info({ reason, running: this.scheduler.running }, "daemon stopping");
    this.stopController.abort(new Error(`shutdown requested (${reason})`));
    const finished = this.scheduler.stop();

    // Pull request checks in progress finish too, so that none is left in progress on GitHub.
    const checks = this.pullRequestChecks?.idle() ?? Promise.resolve();
    const grace = new AbortController();
    const graceOver = await Promise.race([Promise.all([finished, checks]).then(() => false), sleep(shutdownTimeoutMs, true, { signal: grace.signal }).catch(() => false)]);
    grace.abort();
    if (graceOver || this.killController.signal.aborted) {
      logger.warn({ shutdownTimeoutMs }, "shutdown grace period over; killing git commands");
      this.killController.abort(new Error("shutdown grace period over"));
      const wait = new AbortController();
      await Promise.race([finished, sleep(KILL_WAIT_MS, undefined, { signal: wait.signal }).catch(() => undefined)]);
      wait.abort();
    }

    await this.server?.close();
    await this.workFolder.close();
    logger.info({ reason }, "daemon stopped");
  }

  private async run(trigger: TriggerSource): Promise<{ retry: boolean }> {
    this.metrics.runStarted();
    const shutdown = { stop: this.stopController.signal, kill: this.killController.signal };
    const report = await runCycle(cycleContext(this.options, this.workFolder), trigger, shutdown);
    const finishedAt = this.now();
    this.lastRun = { finishedAt, outcome: report.outcome, revision: report.revision };
    if (report.result?.issuer !== undefined) this.issuer?.setIssuer(report.result.issuer);
    this.metrics.runFinished(report, finishedAt);
    for (const listener of this.runListeners) listener(report);
    return { retry: report.retry };
  }

  private registerRoutes(): void {
    const health = {
      stopping: () => this.stopPromise !== null,
      lastRun: () => this.lastRun,
      readyWithinMs: READY_INTERVALS * this.options.schedule.intervalMs,
      now: () => this.now(),
    };
    this.router.add("GET", "/healthz", healthzHandler(health));
    this.router.add("GET", "/readyz", readyzHandler(health));
    this.router.add("GET", "/metrics", metricsHandler(() => this.metrics.render()));
    if (this.webhook !== null) this.router.add("POST", GITHUB_WEBHOOK_PATH, this.webhook.handle);
    if (this.issuer !== null) this.router.mount(this.issuer.handle);
    for (const handler of this.options.http?.mounts ?? []) this.router.mount(handler);
  }

  /** Creates the GitHub App's pull request checks and hands them the webhook's verified `pull_request` deliveries. */
  private createPullRequestChecks(): GithubEventDispatcher | null {
    const app = this.options.http?.githubApp;
    if (app === undefined) return null;
    if (this.webhook === null) throw new Error("the GitHub App needs the webhook secret; set WID_WEBHOOK_SECRET or --webhook-secret-file");
    const { branch, subdir } = this.options.workFolder;
    const dispatcher = createGithubEventDispatcher({ ...app, branch, configPath: subdir, triggerReconcile: () => void this.trigger("webhook"), logger: this.options.logger });
    this.webhook.on("pull_request", pullRequestListener(dispatcher, this.options.logger));
    return dispatcher;
  }
}
