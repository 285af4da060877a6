import type { ConfigModel } from "../config/model.js";
import type { FrozenSelections, InstalledCheck } from "../scope/resolve.js";
import type { StatusFile } from "../status/types.js";
import { frozenSelections } from "./frozen.js";
import { withUnreadableIdentities } from "./unreadable.js";

/** The inputs of workload selection when the status file replaces the cloud. */
export interface StatusSelectionInputs {
  /** The model with the identities of unreadable files added as invalid (see {@link withUnreadableIdentities}). */
  model: ConfigModel;
  /** An identity is installed when the status file records installed permissions for it. */
  isInstalled: InstalledCheck;
  frozen: FrozenSelections;
}

/**
 * Returns the selection inputs that `wid plan --offline` uses, so that `wid explain`
 * selects exactly as the offline plan does, with the same protection of invalid and
 * unreadable identities.
 */
export function statusSelectionInputs(config: ConfigModel, previous: StatusFile | undefined): StatusSelectionInputs {
  const model = withUnreadableIdentities(config, previous);
  const isInstalled = (name: string): boolean => (previous?.identities[name]?.installedHash ?? null) !== null;
  return { model, isInstalled, frozen: frozenSelections(model, previous) };
}
