import { randomUUID } from "node:crypto";
import path from "node:path";
import { performance } from "node:perf_hooks";

import type { Logger } from "pino";

import { applyPlan } from "../apply/run.js";
import type { ApplyReport } from "../apply/types.js";
import { applyFailed } from "../apply/types.js";
import type { Diagnostic } from "../config/diagnostics.js";
import { hasErrors } from "../config/diagnostics.js";
import { loadConfig } from "../config/load.js";
import type { ConfigModel, LoadedConfig, Settings } from "../config/model.js";
import { DEFAULT_STATUS_FILE } from "../config/model.js";
import type { GitEnvironment } from "../git/client.js";
import { localConfigRevision } from "../git/revision.js";
import type { PlanFingerprints } from "../plan/fingerprint.js";
import { changesFingerprint, configFingerprint, fingerprintMismatch } from "../plan/fingerprint.js";
import { planOffline } from "../plan/offline.js";
import type { PlanInput } from "../plan/online.js";
import { planOnline } from "../plan/online.js";
import type { Plan } from "../plan/types.js";
import type { AdapterRegistry, ApplyOptions } from "../providers/types.js";
import { DEFAULT_CONSISTENCY_WAIT, DEFAULT_PARALLELISM, isTransientKind } from "../providers/types.js";
import { buildStatus } from "../status/build.js";
import { readStatusFile, writeStatusFile } from "../status/file.js";
import type { StatusFile } from "../status/types.js";
import type { IntegrationSession } from "./observe.js";
import { observeIntegrations } from "./observe.js";
import { countChanges, judgeRun } from "./outcome.js";

export interface ReconcileOptions {
  /** The config directory. */
  root: string;
  /** The clouds' adapters. Not used in `offline` mode. */
  adapters: AdapterRegistry;
  logger: Logger;
  /**
   * - `plan`: read the cloud and plan; nothing is written.
   * - `apply`: read the cloud, plan, apply, and write the status file.
   * - `offline`: plan against the previous status file instead of the cloud, apply
   *   nothing, and write the status file, whose states name what waits for an apply.
   *   `wid reconcile --offline` runs this.
   */
  mode: "plan" | "apply" | "offline";
  /** Apply tuning; defaults from `DEFAULT_PARALLELISM` and `DEFAULT_CONSISTENCY_WAIT`. */
  applyOptions?: Partial<Omit<ApplyOptions, "signal">>;
  /** A saved plan's fingerprints: apply is refused when the config or the cloud no longer match. */
  expected?: PlanFingerprints;
  /** Write the status file after apply. Default true; the daemon also commits it. */
  writeStatus?: boolean;
  /**
   * Compute the fingerprints a saved plan needs (`wid plan --out`). Default false,
   * because hashing every config file costs time on each reconcile; always done with `expected`.
   */
  fingerprints?: boolean;
  /**
   * The config revision that the plan and the status file record. Default: the last
   * first-parent commit that changed `root` other than its status file and is not a wid
   * status commit (see `localConfigRevision`), or null outside a git repository. The
   * daemon passes the revision its work folder found.
   */
  revision?: string;
  /**
   * The environment git runs in to find the default `revision`, scrubbed of git's own
   * variables (see `createLocalGitClient`). Without it and without `revision`, the
   * revision is null.
   */
  gitEnvironment?: GitEnvironment;
  /** Apply nothing, as `suspend: true` in Settings does, even when Settings do not suspend. Default false. */
  suspend?: boolean;
  /**
   * Stops the run at its next safe point: before the first cloud write, or between two
   * writes, never during one. The run then throws the signal's reason and writes no
   * status file; the next run reads the cloud again and finishes the work. An abort
   * that comes after every change was attempted does not stop the run.
   */
  signal?: AbortSignal;
  /**
   * Log through a child logger that adds a random `runId` and the `mode`. Default true.
   * The daemon turns it off, because its run logger already carries both.
   */
  runLogger?: boolean;
}

/**
 * The end state of a run, as `wid apply --format json` reports it. Log lines and the
 * daemon use the coarser outcome that `judgeRun` in `outcome.ts` derives from it.
 * - `no-changes`, `changes`: a plan or offline run, with or without changes.
 * - `applied`: every change was made and every integration was read.
 * - `failed`: an integration could not be read, or a change failed.
 * - `invalid-config`: there is no usable Settings document; nothing was read or written.
 * - `stale-plan`: a saved plan no longer matches the config or the cloud; nothing was written.
 */
export type ReconcileOutcome = "no-changes" | "changes" | "applied" | "failed" | "invalid-config" | "stale-plan";

export interface ReconcileResult {
  outcome: ReconcileOutcome;
  /** The reason the run stopped early (`invalid-config`, `stale-plan`). */
  message?: string;
  loaded: LoadedConfig;
  revision: string | null;
  /** Warnings about the previous status file, such as a file that no longer matches its schema. */
  statusDiagnostics: Diagnostic[];
  plan?: Plan;
  fingerprints?: PlanFingerprints;
  /** Outcomes of the apply; undefined in `plan` and `offline` mode. */
  report?: ApplyReport;
  status?: StatusFile;
  /** Whether the status file's content changed on disk. */
  statusWritten: boolean;
  /** Path of the status file relative to the config directory. */
  statusFile?: string;
  /** Applying was suspended, by `suspend: true` in Settings or by {@link ReconcileOptions.suspend}. */
  suspended: boolean;
  /**
   * Whether running again soon may help: an integration could not be reached, or a
   * write failed in a way that passes, such as throttling or a concurrent change.
   * False for config errors, missing or rejected credentials and denied calls.
   */
  retryable: boolean;
  /** Milliseconds spent loading, reading and planning, applying, and building and writing the status. */
  timings: { planMs: number; applyMs: number; statusMs: number };
  durationMs: number;
}

/**
 * Runs one reconcile: load, read the previous status, observe, plan, then (in `apply`
 * mode) apply, build the status and write it. `wid plan`, `wid apply` and the daemon
 * all run this function, so they share every step up to the first write. Each run
 * reads the config and the cloud afresh; the outcome is logged once, at the end.
 */
export async function reconcile(options: ReconcileOptions): Promise<ReconcileResult> {
  const started = Date.now();
  const logger = options.runLogger === false ? options.logger : options.logger.child({ runId: randomUUID(), mode: options.mode });
  let result: ReconcileResult | undefined;
  try {
    result = await run(options, logger);
    return result;
  } finally {
    const durationMs = Date.now() - started;
    if (result !== undefined) result.durationMs = durationMs;
    logFinished(logger, result, options.signal?.aborted === true, durationMs);
  }
}

/** Logs the `reconcile finished` line: at info on success, else at warn with the reason. */
function logFinished(logger: Logger, result: ReconcileResult | undefined, aborted: boolean, durationMs: number): void {
  if (result === undefined) {
    // The run threw: a stop at a safe point, or an error its caller logs.
    logger.warn({ outcome: aborted ? "aborted" : "failed", durationMs }, "reconcile finished");
    return;
  }
  const { outcome, reason } = judgeRun(result);
  const fields = { outcome, durationMs, suspended: result.suspended, ...countChanges(result), statusWritten: result.statusWritten };
  if (outcome === "success") logger.info(fields, "reconcile finished");
  else logger.warn({ ...fields, reason }, "reconcile finished");
}

async function run(options: ReconcileOptions, logger: Logger): Promise<ReconcileResult> {
  const started = performance.now();
  const { signal } = options;

  // Load and validate; without Settings nothing can be planned. The revision skips
  // commits of the status file alone, so committing the status changes nothing.
  const loaded = await loadConfig(options.root);
  const revision = options.revision ?? (options.gitEnvironment === undefined ? null : await localConfigRevision(path.resolve(options.root), loaded.model.settings?.statusFile ?? DEFAULT_STATUS_FILE, options.gitEnvironment));
  logger.debug({ identities: loaded.model.identities.size, diagnostics: loaded.diagnostics.length, revision }, "config loaded");
  const timings = { planMs: 0, applyMs: 0, statusMs: 0 };
  const result: ReconcileResult = { outcome: "invalid-config", loaded, revision, statusDiagnostics: [], statusWritten: false, suspended: false, retryable: false, timings, durationMs: 0 };
  const settings = loaded.model.settings;
  if (settings === undefined) {
    const errors = loaded.diagnostics.filter((diagnostic) => diagnostic.severity === "error").length;
    result.message = hasErrors(loaded.diagnostics) ? `the config has ${errors} error(s); fix them and run again` : "the config has no Settings document; add one with spec.issuer";
    timings.planMs = performance.now() - started;
    return result;
  }
  result.statusFile = settings.statusFile;
  result.suspended = options.suspend === true || settings.suspend;
  const model = withSuspend(loaded.model, settings, result.suspended);
  signal?.throwIfAborted();

  // A saved plan made from other files is refused before the cloud is read.
  const wantFingerprints = options.fingerprints === true || options.expected !== undefined;
  const config = wantFingerprints ? await configFingerprint(loaded.root, loaded.model) : "";
  if (options.expected !== undefined) {
    const mismatch = fingerprintMismatch(options.expected, { ...options.expected, revision, config });
    if (mismatch !== undefined) return stale(result, mismatch);
  }

  // Observe every integration while reading the previous status, which supplies what
  // the cloud cannot: installed revisions and the selections of invalid identities.
  // Offline, the previous status replaces the cloud.
  const offline = options.mode === "offline";
  const [{ status: previous, diagnostics: statusDiagnostics, missing: statusMissing }, sessions] = await Promise.all([
    readStatusFile(loaded.root, settings.statusFile),
    offline ? new Map<string, IntegrationSession>() : observeIntegrations(model, options.adapters, logger),
  ]);
  result.statusDiagnostics = statusDiagnostics;
  if (offline && statusMissing) logger.warn({ statusFile: settings.statusFile }, "status file not found; every identity is planned as new, as on a first run");
  result.retryable = [...sessions.values()].some((session) => session.errorKind !== undefined && isTransientKind(session.errorKind));
  logger.debug({ integrations: sessions.size }, "integrations observed");

  // Plan from the observations alone.
  const inputs = new Map<string, PlanInput>([...sessions].map(([name, session]) => [name, session.input]));
  const plan = offline ? planOffline(model, previous, revision) : planOnline(model, previous, revision, inputs);
  result.plan = plan;
  if (wantFingerprints) result.fingerprints = { revision, config, integrations: integrationFingerprints(inputs), changes: changesFingerprint(plan) };
  timings.planMs = performance.now() - started;
  logger.info({ ...plan.summary, pending: plan.pending.length, invalid: plan.invalid.length, orphans: plan.orphans.length, failedIntegrations: plan.failedIntegrations.length }, "plan computed");

  if (options.mode === "plan") {
    if (plan.failedIntegrations.length > 0) result.outcome = "failed";
    else if (plan.changes.length > 0) result.outcome = "changes";
    else result.outcome = "no-changes";
    return result;
  }
  if (options.expected !== undefined && result.fingerprints !== undefined) {
    const mismatch = fingerprintMismatch(options.expected, result.fingerprints);
    if (mismatch !== undefined) return stale(result, mismatch);
  }
  // The last safe point before the first write.
  signal?.throwIfAborted();

  // Apply, then record the state of the cloud after the writes.
  const applyStart = performance.now();
  let report: ApplyReport | undefined;
  if (offline) {
    if (plan.changes.length > 0) logger.info({ notApplied: plan.changes.length, suspended: result.suspended }, "changes not applied");
  } else {
    report = await applyPlan(plan, sessions, applyOptions(options), logger);
    // Writes that never started are left to the next run, which reads the cloud again.
    if (report.stopped) throw signal?.reason ?? new Error("the apply was stopped");
    result.report = report;
    result.retryable ||= report.outcomes.some((outcome) => outcome.errorKind !== undefined && isTransientKind(outcome.errorKind));
    logger.info({ ...report.summary }, "plan applied");
    if (result.suspended && plan.pending.length > 0) logger.info({ pending: plan.pending.length, suspended: true }, "changes not applied");
  }
  timings.applyMs = performance.now() - applyStart;

  const statusStart = performance.now();
  const notAppliedBecause = result.suspended ? "applying is suspended" : "the run is offline and has no cloud access";
  const status = buildStatus({ model, previous, plan, report, revision, notAppliedBecause });
  result.status = status;
  if (options.writeStatus !== false) result.statusWritten = await writeStatusFile(loaded.root, settings.statusFile, status);
  timings.statusMs = performance.now() - statusStart;

  if (report === undefined) result.outcome = plan.changes.length > 0 ? "changes" : "no-changes";
  else result.outcome = applyFailed(report) ? "failed" : "applied";
  return result;
}

/** Returns the model with `suspend: true` in its Settings when the run is suspended by an option. */
function withSuspend(model: ConfigModel, settings: Settings, suspended: boolean): ConfigModel {
  if (!suspended || settings.suspend) return model;
  return { ...model, settings: { ...settings, suspend: true } };
}

function applyOptions(options: ReconcileOptions): ApplyOptions {
  return {
    parallelism: options.applyOptions?.parallelism ?? DEFAULT_PARALLELISM,
    consistencyWait: options.applyOptions?.consistencyWait ?? DEFAULT_CONSISTENCY_WAIT,
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  };
}

function integrationFingerprints(inputs: ReadonlyMap<string, PlanInput>): Record<string, string> {
  const prints: Record<string, string> = {};
  for (const [name, input] of inputs) prints[name] = input.status === "observed" ? input.fingerprint : input.status;
  return prints;
}

function stale(result: ReconcileResult, mismatch: string): ReconcileResult {
  result.outcome = "stale-plan";
  result.message = `the saved plan is out of date because ${mismatch} since it was made; run wid plan --out again and review it`;
  return result;
}
