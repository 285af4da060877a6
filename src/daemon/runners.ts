import type { AdapterRegistry } from "../providers/types.js";
import { createReconcileRunner } from "./reconcile-runner.js";
import type { RunnerMode } from "./reconcile-runner.js";
import type { ReconcileRunner } from "./runner.js";

/** The runner a daemon uses and its mode, for the start log line. */
export interface RunnerChoice {
  runner: ReconcileRunner;
  mode: RunnerMode;
}

/**
 * Chooses the runner: offline with `offline` set, otherwise one that applies to the
 * clouds through `adapters`, such as those of `createAdapters()`.
 */
export function chooseRunner(offline: boolean, adapters: AdapterRegistry): RunnerChoice {
  const mode = offline ? "offline" : "apply";
  return { runner: createReconcileRunner({ mode, adapters: offline ? {} : adapters }), mode };
}
