import type { ConfigModel, Provider } from "../config/model.js";
import { PROVIDERS } from "../config/model.js";
import type { StatusFile } from "../status/types.js";

/**
 * The last selections of identities whose files are invalid now, from the previous
 * status file. Such an identity's scope cannot be read, so the workloads that used it
 * keep it until the file is fixed.
 */
export function frozenSelections(model: ConfigModel, previous: StatusFile | undefined): Map<string, Partial<Record<Provider, string>>> {
  const frozen = new Map<string, Partial<Record<Provider, string>>>();
  if (previous === undefined || model.invalidIdentities.size === 0) return frozen;

  for (const [key, entry] of Object.entries(previous.workloads)) {
    if (!model.workloads.has(key)) continue;
    for (const provider of PROVIDERS) {
      const identity = entry[provider]?.identity;
      if (identity == null || !model.invalidIdentities.has(identity)) continue;
      const selections = frozen.get(key) ?? {};
      selections[provider] = identity;
      frozen.set(key, selections);
    }
  }
  return frozen;
}
