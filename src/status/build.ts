import type { ApplyReport } from "../apply/types.js";
import type { ConfigModel, Integration, Provider } from "../config/model.js";
import { awsRoleName } from "../config/names.js";
import { awsRoleArn, gcpPrincipal, gcpRoleName } from "../credentials/layout.js";
import { permissionsHash } from "../plan/hash.js";
import { planWorkloads } from "../plan/semantics.js";
import type { IdentityPlanState, Plan } from "../plan/types.js";
import type { IdentityReference, ResourceOutcome } from "../providers/types.js";
import type { IdentityStatus, IntegrationStatus, StatusFile } from "./types.js";

export interface StatusInput {
  model: ConfigModel;
  previous: StatusFile | undefined;
  /** An online plan. */
  plan: Plan;
  /** The outcomes of applying `plan`, or undefined when nothing was applied. */
  report: ApplyReport | undefined;
  revision: string | null;
}

/**
 * Builds the status file from the model, the plan (which carries the observation) and
 * the apply outcomes. Installed and desired hashes are kept apart, so a change saved
 * with `install: false` stays visible. An identity whose apply failed keeps what the
 * cloud held before, and is `failed`. Invalid identities and identities of integrations
 * that could not be read keep their previous entry.
 */
export function buildStatus(input: StatusInput): StatusFile {
  const { model, previous, plan, report, revision } = input;
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
    const desiredHash = permissionsHash(identity);
    const installedHash = installedHashAfter(planned, before, outcomes, plan, identity.name, desiredHash);
    const state = failure !== undefined ? "failed" : (planned?.state ?? before?.state ?? "not-installed");
    const message = failure !== undefined ? (failure.message ?? "the apply failed") : planned?.message;
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

  // Invalid identities keep their last installed state.
  for (const identity of model.invalidIdentities.values()) {
    const before = previous?.identities[identity.name];
    const entry: IdentityStatus = {
      ...(before ?? emptyEntry(identity.provider ?? "aws", identity.integration ?? "")),
      file: identity.source.file,
      state: "invalid",
      message: `${identity.source.file} has errors; the identity keeps its last installed state until the file is fixed`,
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

function integrationStatuses(model: ConfigModel, previous: StatusFile | undefined, plan: Plan, report: ApplyReport | undefined): Record<string, IntegrationStatus> {
  const statuses: Record<string, IntegrationStatus> = {};
  for (const integration of model.integrations.values()) {
    const planned = plan.integrations[integration.name];
    const before = previous?.integrations[integration.name];
    const own = (report?.outcomes ?? []).filter((outcome) => outcome.integration === integration.name && outcome.identity === null);
    const failure = own.find((outcome) => outcome.outcome === "failed");
    // The integration's reference is its OIDC provider; a Google Cloud pool's outcome names the pool instead.
    const created = own.find((outcome) => outcome.action === "create" && outcome.outcome !== "failed" && outcome.type !== "workload-identity-pool");
    const provider = integration.provider;

    if (planned === undefined || planned.state === "unknown" || planned.state === "unsupported") {
      statuses[integration.name] = before ?? { provider, state: "not-installed", installed: false, oidcProvider: null, ...(planned?.message !== undefined ? { message: planned.message } : {}) };
    } else if (planned.state === "failed" || planned.state === "conflict" || planned.state === "rejected") {
      const installed = planned.state === "failed" ? (before?.installed ?? false) : false;
      statuses[integration.name] = { provider, state: "failed", installed, oidcProvider: planned.reference ?? before?.oidcProvider ?? null, message: planned.message ?? planned.state };
    } else if (failure !== undefined) {
      statuses[integration.name] = { provider, state: "failed", installed: planned.state === "present", oidcProvider: planned.reference, message: failure.message ?? "the apply failed" };
    } else if (planned.state === "present" || created !== undefined) {
      statuses[integration.name] = { provider, state: "installed", installed: true, oidcProvider: created?.reference ?? planned.reference };
    } else {
      statuses[integration.name] = { provider, state: "not-installed", installed: false, oidcProvider: null };
    }
  }
  for (const name of model.invalidIntegrations) {
    const before = previous?.integrations[name];
    if (before !== undefined) statuses[name] = { ...before, state: "invalid", message: "the Integration document has errors; its resources are left as they are until it is fixed" };
  }
  return statuses;
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
