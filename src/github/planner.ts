import type { Diagnostic } from "../config/diagnostics.js";
import { loadConfig } from "../config/load.js";
import type { ConfigModel } from "../config/model.js";
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

/**
 * Computes a plan without side effects. The offline planner compares with the status
 * file; an online planner reads the cloud and sets `plan.mode` to `online`. The check
 * works with either, so a planner that reads the cloud plugs in here.
 */
export type Planner = (input: PlanInput) => Promise<Plan>;

/** Plans against the status file, with no cloud access. */
export const offlinePlanner: Planner = (input) => Promise.resolve(planOffline(input.model, input.status, input.revision));

/** A planner and, when it plans offline, the reason to show in the check. */
export interface PlannerChoice {
  planner: Planner;
  /** Why the plan is offline, as a sentence fragment, or null for an online plan. */
  offlineReason: string | null;
}

/**
 * Chooses the planner of a check. The offline planner is used when `offline` is set,
 * when the environment has no cloud credentials (pull requests from forks get no
 * secrets), or when no online planner is given.
 */
export function choosePlanner(options: { offline: boolean; cloudCredentials: boolean; online?: Planner }): PlannerChoice {
  if (options.offline) return { planner: offlinePlanner, offlineReason: "the check was run with --offline" };
  if (!options.cloudCredentials) {
    return { planner: offlinePlanner, offlineReason: "this run has no cloud credentials (pull requests from forks get no secrets)" };
  }
  if (options.online === undefined) return { planner: offlinePlanner, offlineReason: "planning against the cloud is not available in this build" };
  return { planner: options.online, offlineReason: null };
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

  const { status, diagnostics: statusDiagnostics } = await readStatus(loaded.root, settings.statusFile);
  const plan = await planner({ root: loaded.root, model: loaded.model, status, statusFile: settings.statusFile, revision });
  return { model: loaded.model, diagnostics: [...loaded.diagnostics, ...statusDiagnostics], statusFile: settings.statusFile, plan };
}
