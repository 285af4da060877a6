import type { ConfigModel, Integration, Provider, WorkloadIdentity } from "../config/model.js";
import type { IdentityComparison, IntegrationComparison } from "../providers/types.js";
import type { StatusFile } from "../status/types.js";
import { permissionsHash } from "./hash.js";
import { identityNote, invalidIdentityNotes, orphanMessage, planWorkloads, PRUNE_REASON, removalPolicy } from "./semantics.js";
import type { IdentityNote, IdentityPlanState, IntegrationNote, IntegrationPlanState, Plan, ResourceChange } from "./types.js";
import { summarize } from "./types.js";
import { withUnreadableIdentities } from "./unreadable.js";

/** The desired state of one integration, as the planner passes it to the adapter. */
export interface DesiredIdentities {
  issuer: string;
  /** The integration's valid identities, in byte order of names. */
  identities: readonly WorkloadIdentity[];
  /** Names of invalid identities, whose resources are never touched. */
  protectedNames: ReadonlySet<string>;
}

/**
 * One integration as input to the planner: observed (with the adapter's pure compare
 * bound to the observation), failed to observe, or of a provider without an adapter.
 */
export type PlanInput =
  | { status: "observed"; account: string; fingerprint: string; compare: (desired: DesiredIdentities) => IntegrationComparison }
  | { status: "failed"; message: string }
  | { status: "unsupported"; message: string };

interface PlanParts {
  changes: ResourceChange[];
  pending: ResourceChange[];
  conflicts: IdentityNote[];
  orphans: IdentityNote[];
  invalid: IdentityNote[];
  failedIntegrations: IntegrationNote[];
  skippedIntegrations: IntegrationNote[];
  identities: Record<string, IdentityPlanState>;
  integrations: Record<string, IntegrationPlanState>;
  installed: Set<string>;
}

/**
 * Plans against the cloud: for every integration, the adapter's comparison of the
 * files with what the cloud holds, with the install semantics applied on top.
 * - `install: false` and `Settings.suspend` move changes to `pending`; nothing is written.
 * - The integration's OIDC provider is planned only when an identity needs it.
 * - A same-name resource that wid does not own is a conflict and is never touched.
 * - An owned role that no identity uses is deleted with `prune: true`, or reported as
 *   orphaned. Deletes are suspended while a config file cannot be read.
 * - Invalid identities are left exactly as they are, and so are the identities that the
 *   previous status places in a file that cannot be read now (see {@link withUnreadableIdentities}).
 * Pure: every cloud fact comes from `inputs`.
 */
export function planOnline(config: ConfigModel, previous: StatusFile | undefined, revision: string | null, inputs: ReadonlyMap<string, PlanInput>): Plan {
  const model = withUnreadableIdentities(config, previous);
  const invalid = invalidIdentityNotes(model, previous);
  const parts: PlanParts = {
    changes: [],
    pending: [],
    conflicts: [],
    orphans: [],
    invalid: invalid.notes,
    failedIntegrations: [],
    skippedIntegrations: [],
    identities: { ...invalid.states },
    integrations: {},
    installed: new Set(),
  };
  const removals: ResourceChange[] = [];

  for (const integration of model.integrations.values()) {
    const input = inputs.get(integration.name) ?? { status: "failed", message: "the integration was not observed" };
    const identities = [...model.identities.values()].filter((identity) => identity.integration === integration.name);
    if (input.status === "observed") {
      removals.push(...planIntegration(model, previous, integration, identities, input, parts));
    } else {
      planUnobserved(previous, integration, identities, input, parts);
    }
  }
  // Deletes come last, after every create and update.
  parts.changes.push(...removals);

  orphanRemovedIntegrations(model, previous, parts);

  // Invalid identities keep their last installed state, so their workloads keep them.
  for (const name of model.invalidIdentities.keys()) {
    if ((previous?.identities[name]?.installedHash ?? null) !== null) parts.installed.add(name);
  }
  const isInstalled = (name: string): boolean => parts.installed.has(name);

  return {
    mode: "online",
    revision,
    summary: summarize(parts.changes),
    changes: parts.changes,
    pending: parts.pending,
    conflicts: parts.conflicts,
    orphans: parts.orphans,
    invalid: parts.invalid,
    failedIntegrations: parts.failedIntegrations,
    skippedIntegrations: parts.skippedIntegrations,
    integrations: parts.integrations,
    identities: parts.identities,
    workloads: planWorkloads(model, previous, parts.identities, isInstalled),
  };
}

/** Plans one observed integration; returns its deletes, which the caller appends last. */
function planIntegration(
  model: ConfigModel,
  previous: StatusFile | undefined,
  integration: Integration,
  identities: readonly WorkloadIdentity[],
  input: Extract<PlanInput, { status: "observed" }>,
  parts: PlanParts,
): ResourceChange[] {
  const suspended = model.settings?.suspend === true;
  const comparison = input.compare({
    issuer: model.settings?.issuer ?? "",
    identities,
    protectedNames: new Set(model.invalidIdentities.keys()),
  });
  const own = comparison.integration;
  parts.integrations[integration.name] = {
    provider: integration.provider,
    state: own.status,
    reference: own.reference,
    account: input.account,
    resources: own.resources,
    ...(own.message !== undefined ? { message: own.message } : {}),
  };
  // An OIDC provider that wid cannot use blocks every identity of the integration.
  const blocked = own.status === "conflict" || own.status === "rejected" ? (own.message ?? own.status) : undefined;

  // Identities: their changes go to `changes` with install: true, to `pending` otherwise.
  const identityChanges: ResourceChange[] = [];
  const identityPending: ResourceChange[] = [];
  let providerNeeded: "apply" | "pending" | undefined;
  for (const identity of identities) {
    const compared = comparison.identities.get(identity.name);
    if (compared === undefined) continue;
    const observed = { installedHash: compared.installedHash, createdAt: compared.createdAt, reference: compared.reference };
    const base = { integration: integration.name, observed, resources: compared.resources };
    if (compared.installedHash !== null) parts.installed.add(identity.name);

    if (compared.status === "conflict" || (blocked !== undefined && compared.status !== "rejected")) {
      const message = compared.status === "conflict" ? (compared.message ?? "a resource of the same name exists that wid does not own") : `blocked: ${blocked ?? ""}`;
      parts.conflicts.push(identityNote(identity, message, compared.resources[0]));
      parts.identities[identity.name] = { ...base, state: "conflict", message };
      continue;
    }
    if (compared.status === "rejected") {
      const message = compared.message ?? "the file breaks a cloud limit";
      parts.invalid.push(identityNote(identity, `${message}; the identity keeps its last installed state`));
      parts.identities[identity.name] = { ...base, state: "invalid", message };
      continue;
    }

    const applies = identity.install && !suspended;
    (applies ? identityChanges : identityPending).push(...compared.changes);
    if (applies) providerNeeded = "apply";
    else if (providerNeeded === undefined && compared.changes.length > 0) providerNeeded = "pending";
    parts.identities[identity.name] = { ...base, ...identityState(identity, compared, previous, suspended) };
  }

  // The OIDC provider is created or fixed once an identity of the integration is installed.
  if (blocked === undefined && providerNeeded === "apply") parts.changes.push(...own.changes);
  else if (blocked === undefined && providerNeeded === "pending") parts.pending.push(...own.changes);
  parts.changes.push(...identityChanges);
  parts.pending.push(...identityPending);

  return planRemovals(model, integration, comparison, parts);
}

/** The state an identity will have after apply. */
function identityState(identity: WorkloadIdentity, compared: IdentityComparison, previous: StatusFile | undefined, suspended: boolean): IdentityPlanState {
  if (compared.changes.length === 0) return { state: "installed" };
  if (identity.install && !suspended) return { state: "installed" };
  if (compared.status === "absent") {
    return identity.install ? { state: "pending-install", message: "applying is suspended" } : { state: "not-installed", message: "install is false" };
  }

  // The role exists and differs from the file. When it also differs from what wid last
  // installed, it was changed outside wid, and install: false keeps that change.
  const lastInstalled = previous?.identities[identity.name]?.installedHash ?? null;
  if (!identity.install && lastInstalled !== null && compared.installedHash !== lastInstalled) {
    return { state: "drifted", message: "the permissions in the cloud were changed outside wid, and install is false, so they are not restored" };
  }
  const desiredHash = permissionsHash(identity);
  const why = compared.installedHash === desiredHash ? "the role differs from what wid writes" : "the permissions in the file differ from the installed ones";
  return { state: "pending-install", message: `${why}, and ${suspended ? "applying is suspended" : "install is false"}` };
}

/** Owned roles that no identity uses: deleted with prune, otherwise orphaned. */
function planRemovals(model: ConfigModel, integration: Integration, comparison: IntegrationComparison, parts: PlanParts): ResourceChange[] {
  const policy = removalPolicy(model);
  const deletes: ResourceChange[] = [];
  for (const removal of comparison.removals.values()) {
    // A role of an identity that still exists is stale when the role's name changed (a new prefix).
    const renamed = model.identities.has(removal.identity);
    const resource = removal.changes.find((change) => change.type === "role" || change.type === "custom-role")?.resource ?? removal.changes[0]?.resource;
    const pruneReason = renamed ? "the identity's role now has another name, and prune is on" : PRUNE_REASON;
    if (policy.deleteAllowed) {
      deletes.push(...removal.changes.map((change) => ({ ...change, reason: pruneReason })));
      continue;
    }

    const message = renamed ? `the identity's role now has another name, and ${policy.blocker}; the old role is kept` : orphanMessage(policy);
    parts.orphans.push({ identity: removal.identity, provider: integration.provider, integration: integration.name, message, ...(resource !== undefined ? { resource } : {}) });
    if (model.settings?.suspend === true && model.settings.prune && model.unreadableFiles.length === 0 && model.filesWithErrors.length === 0) {
      parts.pending.push(...removal.changes.map((change) => ({ ...change, reason: pruneReason })));
    }
    if (!renamed && !model.invalidIdentities.has(removal.identity)) {
      parts.identities[removal.identity] = {
        state: "orphaned",
        message,
        integration: integration.name,
        observed: { installedHash: removal.installedHash, createdAt: removal.createdAt, reference: removal.reference },
      };
    }
  }
  return deletes;
}

/** Records an integration that could not be read or has no adapter. Its identities are left as they are. */
function planUnobserved(
  previous: StatusFile | undefined,
  integration: Integration,
  identities: readonly WorkloadIdentity[],
  input: Exclude<PlanInput, { status: "observed" }>,
  parts: PlanParts,
): void {
  const note: IntegrationNote = { integration: integration.name, provider: integration.provider, message: input.message };
  const before = previous?.integrations[integration.name];
  parts.integrations[integration.name] = {
    provider: integration.provider,
    state: input.status,
    reference: before?.oidcProvider ?? null,
    message: input.message,
  };
  (input.status === "failed" ? parts.failedIntegrations : parts.skippedIntegrations).push(note);

  for (const identity of identities) {
    const last = previous?.identities[identity.name];
    if ((last?.installedHash ?? null) !== null) parts.installed.add(identity.name);
    if (input.status === "failed") {
      parts.identities[identity.name] = { state: "failed", message: `integration ${integration.name} could not be read: ${input.message}` };
    } else {
      parts.identities[identity.name] = { state: last?.state ?? "not-installed", message: input.message };
    }
  }
}

/** Identities of integrations that were removed from the repository: wid can no longer reach them. */
function orphanRemovedIntegrations(model: ConfigModel, previous: StatusFile | undefined, parts: PlanParts): void {
  for (const [name, before] of Object.entries(previous?.identities ?? {})) {
    if (model.identities.has(name) || model.invalidIdentities.has(name) || parts.identities[name] !== undefined) continue;
    if (model.integrations.has(before.integration) || before.installedHash === null) continue;
    const provider: Provider = before.provider;
    const message = `the file and its integration ${before.integration} were removed; wid no longer reads that ${provider === "aws" ? "account" : "project"}, so its resources are kept`;
    parts.orphans.push({ identity: name, provider, integration: before.integration, message });
    parts.identities[name] = { state: "orphaned", message };
  }
}
