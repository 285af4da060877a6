import type { ConfigModel, Settings } from "../config/model.js";
import { resolveSelections } from "../scope/resolve.js";
import { readStatusFile } from "../status/file.js";
import { buildWorkloadMapping } from "../status/mapping.js";
import type { WorkloadStatus } from "../status/types.js";

/** The workloads section that credentials are written from, and where it came from. */
export interface WorkloadMapping {
  workloads: Record<string, WorkloadStatus>;
  /**
   * `status-file`: the status file that the last reconcile wrote, which records what is
   * installed. `config`: computed from the config alone because no status file exists;
   * then only identities with `install: true` are candidates, and none is ready.
   */
  source: "status-file" | "config";
  /** Problems with the status file, such as a file that does not match its schema. */
  warnings: string[];
}

/**
 * Returns the workload mapping from the status file under `root`, or computes it from
 * `model` when there is none, with the same selection rules that `wid plan` uses.
 */
export async function loadWorkloadMapping(root: string, model: ConfigModel, settings: Settings): Promise<WorkloadMapping> {
  const { status, diagnostics } = await readStatusFile(root, settings.statusFile);
  const warnings = diagnostics.map((diagnostic) => `${diagnostic.file}: ${diagnostic.message}`);
  if (status !== undefined) return { workloads: status.workloads, source: "status-file", warnings };

  const resolution = resolveSelections(model, { isInstalled: () => false });
  const workloads = buildWorkloadMapping(model, resolution, () => ({ ready: false, createdAt: null }));
  return { workloads, source: "config", warnings };
}
