import type { ConfigModel, Integration, Provider, WorkloadIdentity } from "../config/model.js";
import type { IdentityComparison, IntegrationComparison } from "../providers/types.js";
import type { StatusFile } from "../status/types.js";
import { permissionsHash } from "./hash.js";
import type { RemovalCandidate } from "./removals.js";
import { planRemovals } from "./removals.js";
import type { RemovalPolicy } from "./semantics.js";
import { identityNote, invalidIdentityNotes, planWorkloads, removalPolicy } from "./semantics.js";
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
  /** The integration of each valid identity that belongs to another integration, by identity name. */
  elsewhere: ReadonlyMap<string, Integration>;
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
  const candidates: RemovalCandidate[] = [];

  for (const integration of model.integrations.values()) {
    const input = inputs.get(integration.name) ?? { status: "failed", message: "the integration was not observed" };
    const identities = [...model.identities.values()].filter((identity) => identity.integration === integration.name);
    if (input.status === "observed") {
      candidates.push(...planIntegration(model, previous, integration, identities, input, parts));
    } else {
      planUnobserved(model, previous, integration, identities, input, parts);
    }
  }
  // Deletes come last, after every create and update.
  parts.changes.push(...planRemovals(model, candidates, parts));

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

/** Plans one observed integration; returns the owned resources that none of its identities uses, which the caller plans last. */
function planIntegration(
  model: ConfigModel,
  previous: StatusFile | undefined,
  integration: Integration,
  identities: readonly WorkloadIdentity[],
  input: Extract<PlanInput, { status: "observed" }>,
  parts: PlanParts,
): RemovalCandidate[] {
  const suspended = model.settings?.suspend === true;
  const deletes = removalPolicy(model);
  const elsewhere = new Map<string, Integration>();
  for (const identity of model.identities.values()) {
    const other = model.integrations.get(identity.integration);
    if (identity.integration !== integration.name && other !== undefined) elsewhere.set(identity.name, other);
  }
  const comparison = input.compare({
    issuer: model.settings?.issuer ?? "",
    identities,
    protectedNames: new Set(model.invalidIdentities.keys()),
    elsewhere,
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

    // A replacement deletes a resource, so it is applied only when deletes are allowed; until
    // then the in-place changes are applied and the replacement waits.
    const applies = identity.install && !suspended;
    const replacement = compared.replacement;
    if (applies && replacement !== undefined && deletes.deleteAllowed) {
      identityChanges.push(...replacement.changes);
    } else if (applies) {
      identityChanges.push(...compared.changes);
      identityPending.push(...(replacement?.changes ?? []));
    } else {
      identityPending.push(...(replacement?.changes ?? compared.changes));
    }
    if (applies) providerNeeded = "apply";
    else if (providerNeeded === undefined && (compared.changes.length > 0 || replacement !== undefined)) providerNeeded = "pending";
    parts.identities[identity.name] = { ...base, ...identityState(identity, compared, previous, suspended, deletes) };
  }

  // The OIDC provider is created or fixed once an identity of the integration is installed.
  if (blocked === undefined && providerNeeded === "apply") parts.changes.push(...own.changes);
  else if (blocked === undefined && providerNeeded === "pending") parts.pending.push(...own.changes);
  parts.changes.push(...identityChanges);
  parts.pending.push(...identityPending);

  return [...comparison.removals.values()].map((removal) => ({ integration, removal }));
}

/** The state an identity will have after apply. */
function identityState(identity: WorkloadIdentity, compared: IdentityComparison, previous: StatusFile | undefined, suspended: boolean, deletes: RemovalPolicy): IdentityPlanState {
  const applies = identity.install && !suspended;
  const replacement = compared.replacement;
  if (applies && replacement !== undefined && !deletes.deleteAllowed) return { state: "pending-install", message: `${replacement.reason}; now ${deletes.blocker}` };
  if (compared.changes.length === 0 && replacement === undefined) return { state: "installed" };
  if (applies) return { state: "installed" };
  if (compared.status === "absent") {
    return identity.install ? { state: "pending-install", message: "applying is suspended" } : { state: "not-installed", message: "install is false" };
  }

  // The role exists and differs from the file. A change that lets others in, or a
  // permission change since wid last installed, was made outside wid, and install: false keeps it.
  if (!identity.install && compared.drift !== undefined) {
    return { state: "drifted", message: `${compared.drift}, and install is false, so wid does not restore it` };
  }
  const lastInstalled = previous?.identities[identity.name]?.installedHash ?? null;
  if (!identity.install && lastInstalled !== null && compared.installedHash !== lastInstalled) {
    return { state: "drifted", message: "the permissions in the cloud were changed outside wid, and install is false, so they are not restored" };
  }
  const desiredHash = permissionsHash(identity);
  let why = compared.installedHash === desiredHash ? "the role differs from what wid writes" : "the permissions in the file differ from the installed ones";
  if (replacement !== undefined && compared.installedHash === desiredHash) why = replacement.reason;
  return { state: "pending-install", message: `${why}, and ${suspended ? "applying is suspended" : "install is false"}` };
}

/**
 * Records an integration that could not be read or has no adapter. Its identities are
 * left as they are. So are those removed from the repository since the last run that
 * had resources, because wid cannot tell whether the resources still exist. They stay
 * in the status as orphaned, with their last known state, until the integration is read.
 */
function planUnobserved(
  model: ConfigModel,
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

  for (const [name, before] of Object.entries(previous?.identities ?? {})) {
    if (before.integration !== integration.name || model.identities.has(name) || model.invalidIdentities.has(name)) continue;
    if (before.installedHash === null && before.state !== "orphaned") continue;
    const why = input.status === "failed" ? "could not be read" : "is not supported by this build";
    const message = `the file was removed, but integration ${integration.name} ${why}, so wid cannot tell whether its resources still exist; it keeps its last known state until the integration is read again`;
    parts.orphans.push({ identity: name, provider: integration.provider, integration: integration.name, message });
    parts.identities[name] = { state: "orphaned", message, integration: integration.name };
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
