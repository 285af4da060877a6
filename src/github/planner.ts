import type { Diagnostic } from "../config/diagnostics.js";
import { loadConfig } from "../config/load.js";
import type { ConfigModel, Provider } from "../config/model.js";
import { planOffline } from "../plan/offline.js";
import type { Plan } from "../plan/types.js";
import type { ReadStatusResult } from "../status/file.js";
import { readStatusFile } from "../status/file.js";
import type { StatusFile } from "../status/types.js";

/** What a planner gets: the loaded config and the last status. */
export interface PlanInput {
  /** The config folder, absolute. */
  root: string;
  model: ConfigModel;
  /** The previous status file, or undefined when there is none or it is unreadable. */
  status: StatusFile | undefined;
  /** The status file path relative to `root`. */
  statusFile: string;
  /** The config commit being planned. */
  revision: string | null;
}

/** A plan, and why it did not read the cloud when it did not. */
export interface PlannerResult {
  plan: Plan;
  /**
   * The reason the whole plan was made against the status file, as a sentence fragment,
   * or undefined to keep the reason the check was started with. An online plan that
   * compared some integrations with the status file gives each one's reason in
   * `plan.integrations[NAME].message`, with state `unknown`, instead.
   */
  offlineReason?: string;
}

/**
 * Computes a plan without side effects. The offline planner compares with the status
 * file; the online planner (`createOnlinePlanner`) reads the cloud and sets `plan.mode`
 * to `online`.
 */
export type Planner = (input: PlanInput) => Promise<PlannerResult>;

/** Plans against the status file, with no cloud access. */
export const offlinePlanner: Planner = (input) => Promise.resolve({ plan: planOffline(input.model, input.status, input.revision) });

/** A planner and, when it plans offline, the reason to show in the check. */
export interface PlannerChoice {
  planner: Planner;
  /** Why the plan is offline, as a sentence fragment, or null for an online plan. */
  offlineReason: string | null;
}

/**
 * How a check plans:
 * - `offline`: against the status file (`--offline`);
 * - `online`: against the cloud for every integration, and an integration that cannot
 *   be read is reported as failed (`--online`);
 * - `auto`: against the cloud for the providers whose credentials the environment has,
 *   and against the status file for the other integrations, each with a note. The plan
 *   is fully offline when the environment has no cloud credentials at all, as on pull
 *   requests from forks, which get no secrets.
 */
export type PlanningMode = "auto" | "online" | "offline";

/** Reason shown when a check plans offline because the run has no cloud credentials. */
export const NO_CREDENTIALS_REASON = "this run has no cloud credentials (pull requests from forks get no secrets)";

export interface PlannerOptions {
  mode: PlanningMode;
  /** Providers whose credentials the environment has (see `readGithubCheckConfig`). Read in `auto` mode only. */
  credentials: ReadonlySet<Provider>;
  /**
   * Creates the planner that reads the cloud for `providers`, planning the integrations
   * of other providers offline; undefined means every provider.
   */
  online: (providers: ReadonlySet<Provider> | undefined) => Planner;
}

/** Chooses the planner of a check from the planning mode and the credentials at hand. */
export function choosePlanner(options: PlannerOptions): PlannerChoice {
  switch (options.mode) {
    case "offline":
      return { planner: offlinePlanner, offlineReason: "the check was run with --offline" };
    case "online":
      return { planner: options.online(undefined), offlineReason: null };
    case "auto":
      if (options.credentials.size === 0) return { planner: offlinePlanner, offlineReason: NO_CREDENTIALS_REASON };
      return { planner: options.online(options.credentials), offlineReason: null };
  }
}

/** The loaded config and its plan, which a check report is built from. */
export interface PlanOutcome {
  model: ConfigModel;
  /** Config and status file diagnostics, sorted by file, line and column. */
  diagnostics: Diagnostic[];
  /** The status file path relative to the config root, or null without a Settings document. */
  statusFile: string | null;
  /** The plan, or undefined when the config has no valid Settings document to plan with. */
  plan: Plan | undefined;
  /** The reason the planner gave for planning offline; undefined keeps the check's reason. */
  offlineReason?: string;
  /** Whether the status file did not exist, so an offline plan treats every identity as new. */
  statusMissing?: boolean;
}

/** Reads the status file; the default reads it from the config folder. */
export type StatusReader = (root: string, statusFile: string) => Promise<ReadStatusResult>;

/**
 * Loads the config under `root` with the normal loader, reads the status file and plans.
 * Valid identities are planned even when others are invalid, as `wid plan` does.
 */
export async function loadAndPlan(root: string, planner: Planner, revision: string | null, readStatus: StatusReader = readStatusFile): Promise<PlanOutcome> {
  const loaded = await loadConfig(root);
  const settings = loaded.model.settings;
  if (settings === undefined) return { model: loaded.model, diagnostics: loaded.diagnostics, statusFile: null, plan: undefined };

  const { status, diagnostics: statusDiagnostics, missing } = await readStatus(loaded.root, settings.statusFile);
  const planned = await planner({ root: loaded.root, model: loaded.model, status, statusFile: settings.statusFile, revision });
  return {
    model: loaded.model,
    diagnostics: [...loaded.diagnostics, ...statusDiagnostics],
    statusFile: settings.statusFile,
    plan: planned.plan,
    statusMissing: missing,
    ...(planned.offlineReason !== undefined ? { offlineReason: planned.offlineReason } : {}),
  };
}
