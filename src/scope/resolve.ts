import { compareBytes } from "../text/order.js";
import type { ConfigModel, Provider } from "../config/model.js";
import { PROVIDERS } from "../config/model.js";
import { WorkloadIndex } from "./available.js";

/**
 * Returns whether an identity is installed in its cloud. Online plans read this from
 * the cloud, and offline plans from the status file.
 */
export type InstalledCheck = (identityName: string) => boolean;

/** The selection of one workload's identity for one provider. */
export interface ProviderSelection {
  /** The identity the workload uses, or null when no candidate is available. */
  selected: string | null;
  /** Other candidates, in byte order of names, that lost to `selected`. */
  shadowed: string[];
  /** Available identities that are neither installed nor marked `install: true`. */
  notInstalled: string[];
  /**
   * True when `selected` is kept from the last status because that identity's file is
   * invalid now. Its scope cannot be read, so its last mapping is kept.
   */
  frozen: boolean;
}

export type WorkloadSelections = Partial<Record<Provider, ProviderSelection>>;

export interface Resolution {
  /** Selections by workload key `PROJECT/NAME`, for workloads with at least one available identity. */
  workloads: Map<string, WorkloadSelections>;
  /** Workload keys that selected each identity, in the order of the model's workloads. */
  identityWorkloads: Map<string, string[]>;
}

/**
 * The facts that the last status file recorded, for one workload and provider, about
 * identities that are invalid now. Their scope cannot be read, so these facts are kept.
 */
export interface FrozenSelection {
  /** The identity the workload used. It stays selected, and valid candidates are shadowed by it. */
  selected?: string;
  /** Identities listed as shadowed. They stay listed while the workload has a selection. */
  shadowed?: readonly string[];
  /** Identities listed as matching but not installed. They stay listed. */
  notInstalled?: readonly string[];
}

/** Frozen facts by workload key `PROJECT/NAME`, then by provider. */
export type FrozenSelections = ReadonlyMap<string, Partial<Record<Provider, FrozenSelection>>>;

export interface ResolveOptions {
  isInstalled: InstalledCheck;
  /** The recorded facts about identities that are invalid now (see {@link FrozenSelection}). Default: none. */
  frozen?: FrozenSelections;
}

/**
 * Chooses at most one identity per provider for every workload. An identity is
 * available when its project and tag restrictions both admit the workload. It is a
 * candidate when it is also installed or marked `install: true`. The first candidate
 * in byte order of names wins, and the others are reported as shadowed.
 *
 * Runs in time proportional to the number of (identity, available workload) pairs,
 * using an index of workloads by project and tag.
 */
export function resolveSelections(model: ConfigModel, options: ResolveOptions): Resolution {
  // The index numbers workloads in the model's order, so per-workload lists live in an array.
  const index = new WorkloadIndex(model.workloads.values());
  const available: (Record<Provider, AvailableLists> | undefined)[] = new Array(index.all.length);

  // The model's identities are in byte order, so each list below stays sorted.
  for (const identity of model.identities.values()) {
    const isCandidate = identity.install || options.isInstalled(identity.name);
    for (const position of index.availablePositions(identity.scope)) {
      let lists = available[position];
      if (lists === undefined) {
        lists = { aws: { candidates: [], notInstalled: [] }, gcp: { candidates: [], notInstalled: [] } };
        available[position] = lists;
      }
      const target = lists[identity.provider];
      if (isCandidate) target.candidates.push(identity.name);
      else target.notInstalled.push(identity.name);
    }
  }

  const workloads = new Map<string, WorkloadSelections>();
  const identityWorkloads = new Map<string, string[]>();
  let position = 0;
  for (const key of model.workloads.keys()) {
    const lists = available[position++];
    const frozen = options.frozen?.get(key);
    if (lists === undefined && frozen === undefined) continue;

    const selections: WorkloadSelections = {};
    for (const provider of PROVIDERS) {
      const selection = selectFor(lists?.[provider], frozen?.[provider]);
      if (selection === undefined) continue;
      selections[provider] = selection;
      if (selection.selected !== null) appendTo(identityWorkloads, selection.selected, key);
    }
    if (Object.keys(selections).length > 0) workloads.set(key, selections);
  }

  return { workloads, identityWorkloads };
}

/** The available identities of one provider for one workload, in byte order of names. */
interface AvailableLists {
  /** Installed or marked `install: true`. */
  candidates: string[];
  notInstalled: string[];
}

function selectFor(lists: AvailableLists | undefined, frozen: FrozenSelection | undefined): ProviderSelection | undefined {
  const candidates = lists?.candidates ?? [];
  const notInstalled = mergeNames(lists?.notInstalled ?? [], frozen?.notInstalled);
  const kept = frozen?.selected;
  if (candidates.length === 0 && notInstalled.length === 0 && kept === undefined) return undefined;

  if (kept !== undefined) {
    return { selected: kept, shadowed: mergeNames(candidates, frozen?.shadowed), notInstalled, frozen: true };
  }
  const selected = candidates[0] ?? null;
  return { selected, shadowed: selected === null ? [] : mergeNames(candidates.slice(1), frozen?.shadowed), notInstalled, frozen: false };
}

/** Merges frozen names into a sorted list of names, keeping byte order and dropping duplicates. */
function mergeNames(names: string[], frozen: readonly string[] | undefined): string[] {
  if (frozen === undefined || frozen.length === 0) return names;
  return [...new Set([...names, ...frozen])].sort(compareBytes);
}

function appendTo(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
