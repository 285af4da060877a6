import type { ApplyReport } from "../apply/types.js";
import type { ConfigModel, Integration, Provider } from "../config/model.js";
import { awsRoleName } from "../config/names.js";
import { awsRoleArn, gcpPrincipal, gcpRoleName } from "../credentials/layout.js";
import { permissionsHash } from "../plan/hash.js";
import { planWorkloads } from "../plan/semantics.js";
import type { IdentityPlanState, Plan } from "../plan/types.js";
import { withUnreadableIdentities } from "../plan/unreadable.js";
import type { IdentityReference, ResourceOutcome } from "../providers/types.js";
import { integrationStatuses } from "./integrations.js";
import type { IdentityStatus, StatusFile } from "./types.js";

export interface StatusInput {
  model: ConfigModel;
  previous: StatusFile | undefined;
  /** An online plan, which carries the observation, or an offline one, made from `previous`. */
  plan: Plan;
  /** The outcomes of applying `plan`, or undefined when nothing was applied. */
  report: ApplyReport | undefined;
  /**
   * Reason the plan's changes were not applied when `report` is undefined, as a clause
   * such as "applying is suspended". Default "nothing was applied".
   */
  notAppliedBecause?: string;
  revision: string | null;
}

/**
 * Builds the status file from the model, the plan and the apply outcomes. Installed and
 * desired hashes are kept apart, so a change saved with `install: false` stays
 * visible. An identity whose apply failed keeps what the cloud held before, and is
 * `failed`. Without a report, identities with planned changes are `pending-install`,
 * and removed identities waiting for a prune stay `orphaned`. Installed hashes,
 * revisions and creation times then carry over from `previous`. Invalid identities (also
 * those of unreadable files) and identities of integrations that could not be read keep
 * their previous entry. The result depends only on the inputs, so an unchanged state
 * gives an identical file.
 */
export function buildStatus(input: StatusInput): StatusFile {
  const { previous, plan, report, revision } = input;
  const model = withUnreadableIdentities(input.model, previous);
  const notAppliedBecause = input.notAppliedBecause ?? "nothing was applied";
  const outcomesByIdentity = groupOutcomes(report?.outcomes ?? []);
  const identities: Record<string, IdentityStatus> = {};
  const finalStates: Record<string, IdentityPlanState> = {};

  // Identities of the model.
  for (const identity of model.identities.values()) {
    const planned = plan.identities[identity.name];
    const before = previous?.identities[identity.name];
    const integration = model.integrations.get(identity.integration);
    const outcomes = outcomesByIdentity.get(identity.name) ?? [];
    const failure = outcomes.find((outcome) => outcome.outcome === "failed");
    const unapplied = report === undefined ? plan.changes.find((change) => change.identity === identity.name) : undefined;
    const desiredHash = permissionsHash(identity);
    const installedHash = installedHashAfter(planned, before, outcomes, plan, identity.name, desiredHash);
    let state = planned?.state ?? before?.state ?? "not-installed";
    let message = planned?.message;
    if (failure !== undefined) {
      state = "failed";
      message = failure.message ?? "the apply failed";
    } else if (unapplied !== undefined) {
      state = "pending-install";
      message = `${unapplied.reason}; the changes are planned but not applied because ${notAppliedBecause}`;
    }
    const created = outcomes.find((outcome) => outcome.type === "role" && outcome.outcome === "created");

    identities[identity.name] = {
      provider: identity.provider,
      integration: identity.integration,
      file: identity.source.file,
      state,
      ...(message !== undefined ? { message } : {}),
      install: identity.install,
      desiredHash,
      installedHash,
      installedRevision: installedRevisionAfter(installedHash, desiredHash, before, revision),
      createdAt: installedHash === null ? null : (created?.createdAt ?? planned?.observed?.createdAt ?? before?.createdAt ?? null),
      ...reference(integration, identity.name, planned?.observed?.reference, created?.reference, before),
      workloads: [],
    };
    const written = identities[identity.name];
    finalStates[identity.name] = { state, observed: { installedHash, createdAt: written?.createdAt ?? null, reference: written?.aws !== undefined ? { aws: written.aws } : {} } };
  }

  // Invalid identities keep their last installed state; their desired permissions cannot be read.
  for (const identity of model.invalidIdentities.values()) {
    const before = previous?.identities[identity.name];
    const entry: IdentityStatus = {
      ...(before ?? emptyEntry(identity.provider ?? "aws", identity.integration ?? "")),
      file: identity.source.file,
      state: "invalid",
      message: `${identity.source.file} has errors; the identity keeps its last installed state until the file is fixed`,
      desiredHash: null,
      workloads: [],
    };
    identities[identity.name] = entry;
    finalStates[identity.name] = { state: "invalid", observed: { installedHash: entry.installedHash, createdAt: entry.createdAt, reference: {} } };
  }

  // Removed identities: orphaned ones stay, pruned ones go unless a delete failed.
  for (const [name, planned] of Object.entries(plan.identities)) {
    if (model.identities.has(name) || model.invalidIdentities.has(name) || planned.state !== "orphaned") continue;
    const before = previous?.identities[name];
    identities[name] = {
      ...(before ?? emptyEntry(providerOf(plan, planned), planned.integration ?? "")),
      file: null,
      state: "orphaned",
      ...(planned.message !== undefined ? { message: planned.message } : {}),
      install: false,
      desiredHash: null,
      installedHash: planned.observed?.installedHash ?? before?.installedHash ?? null,
      createdAt: planned.observed?.createdAt ?? before?.createdAt ?? null,
      ...(planned.observed?.reference.aws !== undefined ? { aws: planned.observed.reference.aws } : {}),
      workloads: [],
    };
  }
  if (report === undefined) {
    for (const change of plan.changes) {
      const name = change.identity;
      if (change.action !== "delete" || name === null || model.identities.has(name) || identities[name] !== undefined) continue;
      const before = previous?.identities[name];
      if (before === undefined) continue;
      const message = `the file was removed and prune is on, but its resources are not deleted yet because ${notAppliedBecause}`;
      identities[name] = { ...before, file: null, state: "orphaned", message, install: false, desiredHash: null, workloads: [] };
    }
  }
  for (const [name, outcomes] of outcomesByIdentity) {
    if (model.identities.has(name) || identities[name] !== undefined) continue;
    const failure = outcomes.find((outcome) => outcome.outcome === "failed");
    if (failure === undefined) continue;
    const before = previous?.identities[name];
    identities[name] = {
      ...(before ?? emptyEntry(failure.provider, failure.integration)),
      file: null,
      state: "failed",
      message: failure.message ?? "deleting the identity's resources failed",
      install: false,
      desiredHash: null,
      workloads: [],
    };
  }

  // Workloads, with readiness from the final states.
  const isInstalled = (name: string): boolean => (identities[name]?.installedHash ?? null) !== null;
  const workloads = planWorkloads(model, previous, finalStates, isInstalled);
  for (const [key, entry] of Object.entries(workloads)) {
    for (const status of Object.values(entry)) {
      const identity = status.identity === null ? undefined : identities[status.identity];
      if (identity !== undefined) identity.workloads.push(key);
    }
  }

  return {
    apiVersion: "wid/v1",
    kind: "Status",
    revision,
    integrations: integrationStatuses(model, previous, plan, report),
    identities,
    workloads,
  };
}

/** Returns the permissions hash in the cloud after apply. */
function installedHashAfter(
  planned: IdentityPlanState | undefined,
  before: IdentityStatus | undefined,
  outcomes: readonly ResourceOutcome[],
  plan: Plan,
  name: string,
  desiredHash: string,
): string | null {
  // Not observed (integration failed or unsupported): the last known value is kept.
  if (planned?.observed === undefined) return before?.installedHash ?? null;
  const observed = planned.observed.installedHash;
  if (planned.state === "conflict") return null;

  const permissionChanges = plan.changes.filter((change) => change.identity === name && change.permissions === true);
  const wrote = permissionChanges.some((change) => outcomes.some((outcome) => outcome.resource === change.resource && outcome.action === change.action && outcome.outcome !== "failed"));
  return wrote ? desiredHash : observed;
}

/**
 * The config revision whose permissions are installed: kept while the installed hash
 * stays the same, the current revision once the cloud matches the current file, and
 * null when the permissions in the cloud match no known revision.
 */
function installedRevisionAfter(installedHash: string | null, desiredHash: string | null, before: IdentityStatus | undefined, revision: string | null): string | null {
  if (installedHash === null) return null;
  if (before?.installedHash === installedHash && before.installedRevision !== null) return before.installedRevision;
  return installedHash === desiredHash ? revision : null;
}

function reference(
  integration: Integration | undefined,
  name: string,
  observed: IdentityReference | undefined,
  createdArn: string | undefined,
  before: IdentityStatus | undefined,
): Pick<IdentityStatus, "aws" | "gcp"> {
  if (integration === undefined) return { ...(before?.aws !== undefined ? { aws: before.aws } : {}), ...(before?.gcp !== undefined ? { gcp: before.gcp } : {}) };
  if (integration.provider === "aws") {
    const aws = observed?.aws ?? before?.aws ?? { roleName: awsRoleName(integration.aws, name), roleArn: awsRoleArn(integration, name) };
    return { aws: createdArn === undefined ? aws : { ...aws, roleArn: createdArn } };
  }
  return { gcp: observed?.gcp ?? before?.gcp ?? { role: gcpRoleName(integration, name), principal: gcpPrincipal(integration, name) } };
}

function groupOutcomes(outcomes: readonly ResourceOutcome[]): Map<string, ResourceOutcome[]> {
  const groups = new Map<string, ResourceOutcome[]>();
  for (const outcome of outcomes) {
    if (outcome.identity === null) continue;
    const list = groups.get(outcome.identity) ?? [];
    list.push(outcome);
    groups.set(outcome.identity, list);
  }
  return groups;
}

function providerOf(plan: Plan, planned: IdentityPlanState): Provider {
  return (planned.integration === undefined ? undefined : plan.integrations[planned.integration]?.provider) ?? "aws";
}

function emptyEntry(provider: Provider, integration: string): IdentityStatus {
  return { provider, integration, file: null, state: "not-installed", install: false, desiredHash: null, installedHash: null, installedRevision: null, createdAt: null, workloads: [] };
}
