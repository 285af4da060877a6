import type { ConfigModel, Provider } from "../config/model.js";
import { PROVIDERS } from "../config/model.js";
import type { FrozenSelection, FrozenSelections, Resolution } from "../scope/resolve.js";
import type { StatusFile, WorkloadStatus } from "../status/types.js";

/**
 * What the previous status file recorded about identities whose files are invalid now:
 * for each workload and provider, the selected identity and the shadowed and not
 * installed ones that are invalid. Such an identity's scope cannot be read, so the
 * workloads keep these facts until the file is fixed.
 */
export function frozenSelections(model: ConfigModel, previous: StatusFile | undefined): FrozenSelections {
  const frozen = new Map<string, Partial<Record<Provider, FrozenSelection>>>();
  if (previous === undefined || model.invalidIdentities.size === 0) return frozen;
  const isInvalid = (name: string): boolean => model.invalidIdentities.has(name);

  for (const [key, entry] of Object.entries(previous.workloads)) {
    if (!model.workloads.has(key)) continue;
    for (const provider of PROVIDERS) {
      const last = entry[provider];
      if (last === undefined) continue;
      const selected = last.identity !== null && isInvalid(last.identity) ? last.identity : undefined;
      const shadowed = last.shadowed.filter(isInvalid);
      const notInstalled = last.notInstalled.filter(isInvalid);
      if (selected === undefined && shadowed.length === 0 && notInstalled.length === 0) continue;

      const selections = frozen.get(key) ?? {};
      selections[provider] = { ...(selected !== undefined ? { selected } : {}), shadowed, notInstalled };
      frozen.set(key, selections);
    }
  }
  return frozen;
}

/**
 * Keeps the previous entry, whole, of each workload and provider whose selection is
 * frozen and whose credentials the model cannot rebuild, because the identity's
 * integration is invalid or missing now. The entry's identity, credentials and
 * readiness stay as the last reconcile recorded them, so that the workload keeps
 * working until the files are fixed. Changes `mapping` in place.
 */
export function keepFrozenEntries(mapping: Record<string, WorkloadStatus>, resolution: Resolution, model: ConfigModel, previous: StatusFile | undefined): void {
  if (previous === undefined) return;
  for (const [key, selections] of resolution.workloads) {
    for (const provider of PROVIDERS) {
      const selection = selections[provider];
      const built = mapping[key]?.[provider];
      if (selection?.frozen !== true || built === undefined) continue;
      if (model.integrations.get(built.integration ?? "")?.provider === provider) continue;

      const last = previous.workloads[key]?.[provider];
      const entry = mapping[key];
      if (last !== undefined && last.identity === selection.selected && entry !== undefined) entry[provider] = last;
    }
  }
}
