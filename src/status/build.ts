import type { ApplyReport } from "../apply/types.js";
import type { ConfigModel, Integration, Provider } from "../config/model.js";
import { awsRoleName } from "../config/names.js";
import { awsRoleArn, gcpPrincipal, gcpRoleName } from "../credentials/layout.js";
import { permissionsHash } from "../plan/hash.js";
import { invalidIdentityMessage, planWorkloads } from "../plan/semantics.js";
import type { IdentityPlanState, Plan } from "../plan/types.js";
import { withUnreadableIdentities } from "../plan/unreadable.js";
import type { IdentityReference, ResourceOutcome } from "../providers/types.js";
import { identityFactsAfter, removedFactsAfter, splitOutcomes } from "./after-apply.js";
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
 * visible. Each identity records the state of the cloud after the apply (see
 * `identityFactsAfter`): a created or replaced role's ARN and creation time, no
 * installed permissions once a role was deleted or a create failed, and for a failed
 * change the identity is `failed`. A failed delete of a role the identity no longer uses
 * is named in its message without failing it. Without a report, identities with
 * planned changes are `pending-install`, and removed identities waiting for a prune stay
 * `orphaned`. Installed hashes, revisions and creation times then carry over from
 * `previous`. Invalid identities (also those of unreadable files) and identities of
 * integrations that could not be read keep their previous entry. The result depends
 * only on the inputs, so an unchanged state gives an identical file.
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
    const { current, stale } = splitOutcomes(plan, outcomesByIdentity.get(identity.name) ?? []);
    const failure = current.find((outcome) => outcome.outcome === "failed");
    const staleFailure = stale.find((outcome) => outcome.outcome === "failed");
    const unapplied = report === undefined ? plan.changes.find((change) => change.identity === identity.name) : undefined;
    const desiredHash = permissionsHash(identity);
    const beforeFacts = before === undefined ? undefined : { installedHash: before.installedHash, createdAt: before.createdAt, reference: referenceOf(before) };
    const facts = identityFactsAfter(planned, beforeFacts, current, plan, identity.name, desiredHash);
    const installedHash = facts.installedHash;
    let state = planned?.state ?? before?.state ?? "not-installed";
    let message = planned?.message;
    if (failure !== undefined) {
      state = "failed";
      message = failure.message ?? "the apply failed";
    } else if (unapplied !== undefined) {
      state = "pending-install";
      message = `${unapplied.reason}; the changes are planned but not applied because ${notAppliedBecause}`;
    } else if (staleFailure !== undefined) {
      message = `${staleFailure.resource}, which the identity no longer uses, is kept because its delete failed: ${staleFailure.message ?? "the apply failed"}`;
    }

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
      createdAt: installedHash === null ? null : facts.createdAt,
      ...reference(integration, identity.name, facts.reference),
      workloads: [],
    };
    const written = identities[identity.name];
    finalStates[identity.name] = { state, observed: { installedHash, createdAt: written?.createdAt ?? null, reference: written?.aws !== undefined ? { aws: written.aws } : {} } };
  }

  // Invalid identities keep their last installed state; their desired permissions cannot be read.
  for (const identity of model.invalidIdentities.values()) {
    const before = previous?.identities[identity.name];
    const provider = identity.provider ?? before?.provider;
    // An identity that no status records and whose provider cannot be read has no entry; the plan lists it as invalid.
    const base = before ?? (provider === undefined ? undefined : emptyEntry(provider, identity.integration ?? ""));
    if (base === undefined) continue;
    const entry: IdentityStatus = {
      ...base,
      file: identity.source.file,
      state: "invalid",
      message: invalidIdentityMessage(identity),
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
    const provider = before?.provider ?? providerOf(plan, planned);
    if (provider === undefined) continue;
    identities[name] = {
      ...(before ?? emptyEntry(provider, planned.integration ?? "")),
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
    const base = previous?.identities[name] ?? emptyEntry(failure.provider, failure.integration);
    const left = removedFactsAfter({ installedHash: base.installedHash, createdAt: base.createdAt, reference: referenceOf(base) }, outcomes);
    identities[name] = {
      ...base,
      file: null,
      state: "failed",
      message: failure.message ?? "deleting the identity's resources failed",
      install: false,
      desiredHash: null,
      installedHash: left.installedHash,
      createdAt: left.createdAt,
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

/** The identity's cloud names: those observed or created, else those derived from the file. */
function reference(integration: Integration | undefined, name: string, known: IdentityReference | undefined): Pick<IdentityStatus, "aws" | "gcp"> {
  if (integration === undefined) return { ...(known?.aws !== undefined ? { aws: known.aws } : {}), ...(known?.gcp !== undefined ? { gcp: known.gcp } : {}) };
  if (integration.provider === "aws") return { aws: known?.aws ?? { roleName: awsRoleName(integration.aws, name), roleArn: awsRoleArn(integration, name) } };
  return { gcp: known?.gcp ?? { role: gcpRoleName(integration, name), principal: gcpPrincipal(integration, name) } };
}

function referenceOf(entry: IdentityStatus): IdentityReference {
  return { ...(entry.aws !== undefined ? { aws: entry.aws } : {}), ...(entry.gcp !== undefined ? { gcp: entry.gcp } : {}) };
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

/** Returns the provider of a planned identity's integration, or undefined when the plan does not name one. */
function providerOf(plan: Plan, planned: IdentityPlanState): Provider | undefined {
  return planned.integration === undefined ? undefined : plan.integrations[planned.integration]?.provider;
}

function emptyEntry(provider: Provider, integration: string): IdentityStatus {
  return { provider, integration, file: null, state: "not-installed", install: false, desiredHash: null, installedHash: null, installedRevision: null, createdAt: null, workloads: [] };
}
