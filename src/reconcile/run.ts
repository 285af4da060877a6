import { randomUUID } from "node:crypto";
import path from "node:path";

import type { Logger } from "pino";

import { applyPlan } from "../apply/run.js";
import type { ApplyReport } from "../apply/types.js";
import { applyFailed } from "../apply/types.js";
import type { Diagnostic } from "../config/diagnostics.js";
import { hasErrors } from "../config/diagnostics.js";
import { loadConfig } from "../config/load.js";
import type { LoadedConfig } from "../config/model.js";
import { headRevision } from "../git/revision.js";
import type { PlanFingerprints } from "../plan/fingerprint.js";
import { changesFingerprint, configFingerprint, fingerprintMismatch } from "../plan/fingerprint.js";
import type { PlanInput } from "../plan/online.js";
import { planOnline } from "../plan/online.js";
import type { Plan } from "../plan/types.js";
import type { AdapterRegistry, ApplyOptions } from "../providers/types.js";
import { DEFAULT_CONSISTENCY_WAIT, DEFAULT_PARALLELISM } from "../providers/types.js";
import { buildStatus } from "../status/build.js";
import { readStatusFile, writeStatusFile } from "../status/file.js";
import type { StatusFile } from "../status/types.js";
import { observeIntegrations } from "./observe.js";

export interface ReconcileOptions {
  /** The config directory. */
  root: string;
  adapters: AdapterRegistry;
  logger: Logger;
  /** `plan`: stop after planning; nothing is written. `apply`: apply and write the status file. */
  mode: "plan" | "apply";
  /** Apply tuning; defaults from `DEFAULT_PARALLELISM` and `DEFAULT_CONSISTENCY_WAIT`. */
  applyOptions?: Partial<ApplyOptions>;
  /** A saved plan's fingerprints: apply is refused when the config or the cloud no longer match. */
  expected?: PlanFingerprints;
  /** Write the status file after apply. Default true; the daemon also commits it. */
  writeStatus?: boolean;
  /**
   * Compute the fingerprints a saved plan needs (`wid plan --out`). Default false,
   * because hashing every config file costs time on each reconcile; always done with `expected`.
   */
  fingerprints?: boolean;
}

/**
 * The end state of a run.
 * - `no-changes`, `changes`: a plan run, with or without changes.
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
  report?: ApplyReport;
  status?: StatusFile;
  /** Whether the status file's content changed on disk. */
  statusWritten: boolean;
  /** Path of the status file relative to the config directory. */
  statusFile?: string;
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
  const logger = options.logger.child({ run: randomUUID(), mode: options.mode });
  let result: ReconcileResult | undefined;
  try {
    result = await run(options, logger);
    return result;
  } finally {
    const durationMs = Date.now() - started;
    if (result !== undefined) result.durationMs = durationMs;
    logger.info(
      {
        outcome: result?.outcome ?? "error",
        durationMs,
        changes: result?.plan?.changes.length,
        failed: result?.report?.summary.failed,
        statusWritten: result?.statusWritten,
      },
      "reconcile finished",
    );
  }
}

async function run(options: ReconcileOptions, logger: Logger): Promise<ReconcileResult> {
  // Load and validate; without Settings nothing can be planned.
  const [loaded, revision] = await Promise.all([loadConfig(options.root), headRevision(path.resolve(options.root))]);
  logger.debug({ identities: loaded.model.identities.size, diagnostics: loaded.diagnostics.length, revision }, "config loaded");
  const result: ReconcileResult = { outcome: "invalid-config", loaded, revision, statusDiagnostics: [], statusWritten: false, durationMs: 0 };
  const settings = loaded.model.settings;
  if (settings === undefined) {
    const errors = loaded.diagnostics.filter((diagnostic) => diagnostic.severity === "error").length;
    result.message = hasErrors(loaded.diagnostics) ? `the config has ${errors} error(s); fix them and run again` : "the config has no Settings document; add one with spec.issuer";
    return result;
  }
  result.statusFile = settings.statusFile;

  // A saved plan made from other files is refused before the cloud is read.
  const wantFingerprints = options.fingerprints === true || options.expected !== undefined;
  const config = wantFingerprints ? await configFingerprint(loaded.root, loaded.model) : "";
  if (options.expected !== undefined) {
    const mismatch = fingerprintMismatch(options.expected, { ...options.expected, revision, config });
    if (mismatch !== undefined) return stale(result, mismatch);
  }

  // Observe every integration while reading the previous status, which supplies what
  // the cloud cannot: installed revisions and the selections of invalid identities.
  const [{ status: previous, diagnostics: statusDiagnostics }, sessions] = await Promise.all([
    readStatusFile(loaded.root, settings.statusFile),
    observeIntegrations(loaded.model, options.adapters, logger),
  ]);
  result.statusDiagnostics = statusDiagnostics;
  logger.debug({ integrations: sessions.size }, "integrations observed");

  // Plan from the observations alone.
  const inputs = new Map<string, PlanInput>([...sessions].map(([name, session]) => [name, session.input]));
  const plan = planOnline(loaded.model, previous, revision, inputs);
  result.plan = plan;
  if (wantFingerprints) result.fingerprints = { revision, config, integrations: integrationFingerprints(inputs), changes: changesFingerprint(plan) };
  logger.debug({ ...plan.summary, pending: plan.pending.length }, "plan computed");

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

  // Apply, then record the state of the cloud after the writes.
  const applyOptions: ApplyOptions = {
    parallelism: options.applyOptions?.parallelism ?? DEFAULT_PARALLELISM,
    consistencyWait: options.applyOptions?.consistencyWait ?? DEFAULT_CONSISTENCY_WAIT,
  };
  const report = await applyPlan(plan, sessions, applyOptions, logger);
  result.report = report;
  logger.debug({ ...report.summary }, "plan applied");
  const status = buildStatus({ model: loaded.model, previous, plan, report, revision });
  result.status = status;
  if (options.writeStatus !== false) result.statusWritten = await writeStatusFile(loaded.root, settings.statusFile, status);
  result.outcome = applyFailed(report) ? "failed" : "applied";
  return result;
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
