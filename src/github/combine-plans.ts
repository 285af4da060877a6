import type { ConfigModel } from "../config/model.js";
import { planWorkloads } from "../plan/semantics.js";
import type { IdentityPlanState, IntegrationPlanState, Plan, ResourceChange } from "../plan/types.js";
import { summarize } from "../plan/types.js";
import type { StatusFile } from "../status/types.js";

export interface CombineInput {
  model: ConfigModel;
  previous: StatusFile | undefined;
  /** The plan that read the cloud; the integrations in `offlineIntegrations` were not observed in it. */
  online: Plan;
  /** The offline plan of the same config and status file. */
  offline: Plan;
  /** Integrations to take from `offline`, with the reason they were not read, such as missing credentials. */
  offlineIntegrations: ReadonlyMap<string, string>;
}

/**
 * Builds one plan from an online and an offline plan of the same config: the integrations
 * in `offlineIntegrations` come from the offline plan, the others from the online plan.
 * Integrations are independent, so their changes, notes and identity states combine as
 * they are. The workload mapping is computed again over the combined identity states,
 * because a workload selects among the identities of every integration of a provider.
 *
 * The result is an online plan whose offline integrations have state `unknown` and
 * their reason as message; an online plan never has that state otherwise.
 */
export function combinePlans(input: CombineInput): Plan {
  const { model, previous, online, offline, offlineIntegrations } = input;
  const fromOffline = (integration: string | undefined): boolean => integration !== undefined && offlineIntegrations.has(integration);
  const integrationOf = (identity: string, state: IdentityPlanState): string | undefined =>
    model.identities.get(identity)?.integration ?? model.invalidIdentities.get(identity)?.integration ?? state.integration ?? previous?.identities[identity]?.integration;
  const pick = <T extends { integration: string }>(onlineItems: readonly T[], offlineItems: readonly T[]): T[] => [
    ...onlineItems.filter((item) => !fromOffline(item.integration)),
    ...offlineItems.filter((item) => fromOffline(item.integration)),
  ];

  // Integration states: the offline ones carry the reason they were not read.
  const integrations: Record<string, IntegrationPlanState> = {};
  for (const [name, state] of Object.entries(online.integrations)) {
    const reason = offlineIntegrations.get(name);
    const offlineState = offline.integrations[name];
    integrations[name] = reason === undefined || offlineState === undefined ? state : { ...offlineState, message: reason };
  }

  // Identity states, each from the plan of its integration.
  const identities: Record<string, IdentityPlanState> = {};
  for (const [name, state] of Object.entries(online.identities)) {
    if (!fromOffline(integrationOf(name, state))) identities[name] = state;
  }
  for (const [name, state] of Object.entries(offline.identities)) {
    if (fromOffline(integrationOf(name, state))) identities[name] = state;
  }

  // An identity is installed when the cloud showed its permissions or, where the cloud was not read, when the status file records them.
  const isInstalled = (name: string): boolean => {
    const observed = identities[name]?.observed;
    if (observed !== undefined) return observed.installedHash !== null;
    return (previous?.identities[name]?.installedHash ?? null) !== null;
  };

  const changes = deletesLast(pick(online.changes, offline.changes));
  return {
    mode: "online",
    revision: online.revision,
    summary: summarize(changes),
    changes,
    pending: deletesLast(pick(online.pending, offline.pending)),
    conflicts: pick(online.conflicts, offline.conflicts),
    orphans: pick(online.orphans, offline.orphans),
    invalid: pick(online.invalid, offline.invalid),
    failedIntegrations: online.failedIntegrations.filter((note) => !fromOffline(note.integration)),
    skippedIntegrations: online.skippedIntegrations.filter((note) => !fromOffline(note.integration)),
    integrations,
    identities,
    workloads: planWorkloads(model, previous, identities, isInstalled),
  };
}

/** Keeps the order of creates and updates, then deletes, as both planners order them. */
function deletesLast(changes: readonly ResourceChange[]): ResourceChange[] {
  return [...changes.filter((change) => change.action !== "delete"), ...changes.filter((change) => change.action === "delete")];
}
