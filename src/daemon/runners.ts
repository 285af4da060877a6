import { runOffline } from "./offline/runner.js";
import type { ReconcileRunner } from "./runner.js";

/**
 * The runner that applies to the clouds, or undefined while this build has none.
 * Without it `wid reconcile` runs offline: it keeps the status file and the workload
 * mapping current and applies nothing.
 */
// TODO: set this to the AWS runner (load, observe, plan, apply, build and write the status) once it exists.
export const cloudRunner: ReconcileRunner | undefined = undefined;

/** The runner a daemon uses, its mode, and whether offline is a fallback, for the start log line. */
export interface RunnerChoice {
  runner: ReconcileRunner;
  mode: "cloud" | "offline";
  /** Offline was not asked for with `--offline`; this build has no cloud runner. */
  fallback: boolean;
}

/** Chooses the cloud runner unless `offline` is set or no cloud runner exists. */
export function chooseRunner(offline: boolean): RunnerChoice {
  if (offline || cloudRunner === undefined) return { runner: runOffline, mode: "offline", fallback: !offline };
  return { runner: cloudRunner, mode: "cloud", fallback: false };
}
