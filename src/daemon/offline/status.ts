import type { ConfigModel, Integration, WorkloadIdentity } from "../../config/model.js";
import { PROVIDERS } from "../../config/model.js";
import { awsRoleName } from "../../config/names.js";
import { awsRoleArn, gcpPrincipal, gcpRoleName } from "../../credentials/layout.js";
import { permissionsHash } from "../../plan/hash.js";
import type { Plan } from "../../plan/types.js";
import type { IdentityStatus, IntegrationStatus, StatusFile, WorkloadStatus } from "../../status/types.js";

/** Inputs of {@link buildUnappliedStatus}. */
export interface UnappliedStatusInput {
  model: ConfigModel;
  plan: Plan;
  /** The committed status file, used in place of the observed cloud state. */
  previous: StatusFile | undefined;
  revision: string;
  /** Why the planned changes were not applied, as a clause: "applying is suspended". */
  notAppliedBecause: string;
}

/**
 * Builds the status file after a run that planned but applied nothing. Installed
 * hashes, revisions and creation times carry over from the previous status, and
 * identities with planned changes are `pending-install`. Invalid identities keep their
 * last installed state. The workload mapping is the plan's, ready only where an
 * identity is already installed. The result depends only on the inputs, so an
 * unchanged config gives a byte-identical file.
 */
export function buildUnappliedStatus(input: UnappliedStatusInput): StatusFile {
  const { model, plan, previous } = input;
  const usedBy = workloadsByIdentity(plan.workloads);
  const identities: Record<string, IdentityStatus> = {};

  // Valid identities: installed when the installed permissions match the file, otherwise pending.
  for (const identity of model.identities.values()) {
    const integration = model.integrations.get(identity.integration);
    if (integration === undefined) continue;
    identities[identity.name] = validIdentityStatus(identity, integration, input, usedBy.get(identity.name) ?? []);
  }

  // Invalid identities keep everything they had, except their desired permissions, which cannot be read.
  for (const note of plan.invalid) {
    const before = previous?.identities[note.identity];
    const file = model.invalidIdentities.get(note.identity)?.source.file ?? before?.file ?? null;
    identities[note.identity] = {
      ...carriedOver(before),
      provider: before?.provider ?? note.provider,
      integration: note.integration !== "" ? note.integration : (before?.integration ?? ""),
      file,
      state: "invalid",
      message: `${file ?? "the file"} has errors; the identity keeps its last installed state until the file is fixed`,
      install: before?.install ?? false,
      desiredHash: null,
      workloads: usedBy.get(note.identity) ?? [],
    };
  }

  // Removed identities whose resources are kept, or wait for a prune that was not applied.
  for (const change of plan.changes) {
    if (change.action !== "delete" || change.identity === null || identities[change.identity] !== undefined) continue;
    const before = previous?.identities[change.identity];
    if (before === undefined) continue;
    identities[change.identity] = { ...before, file: null, state: "orphaned", desiredHash: null, workloads: [], message: `the file was removed and prune is on, but its resources are not deleted yet because ${input.notAppliedBecause}` };
  }
  for (const note of plan.orphans) {
    const before = previous?.identities[note.identity];
    if (before === undefined) continue;
    identities[note.identity] = { ...before, file: null, state: "orphaned", desiredHash: null, workloads: [], message: note.message };
  }

  const ordered: Record<string, IdentityStatus> = {};
  for (const [name, entry] of Object.entries(identities)) ordered[name] = inFieldOrder(entry);
  return {
    apiVersion: "wid/v1",
    kind: "Status",
    revision: input.revision,
    integrations: integrationStatuses(model, previous),
    identities: ordered,
    workloads: readyWhereInstalled(plan.workloads, identities, model),
  };
}

/**
 * Returns the same fields in one fixed order, whichever way the entry was assembled. The YAML
 * serializer keeps insertion order, so without this an unchanged state could be
 * written differently and produce a commit.
 */
function inFieldOrder(entry: IdentityStatus): IdentityStatus {
  return {
    provider: entry.provider,
    integration: entry.integration,
    file: entry.file,
    state: entry.state,
    ...(entry.message !== undefined ? { message: entry.message } : {}),
    install: entry.install,
    desiredHash: entry.desiredHash,
    installedHash: entry.installedHash,
    installedRevision: entry.installedRevision,
    createdAt: entry.createdAt,
    ...(entry.aws !== undefined ? { aws: { roleName: entry.aws.roleName, roleArn: entry.aws.roleArn } } : {}),
    ...(entry.gcp !== undefined ? { gcp: { role: entry.gcp.role, principal: entry.gcp.principal } } : {}),
    workloads: entry.workloads,
  };
}

function validIdentityStatus(identity: WorkloadIdentity, integration: Integration, input: UnappliedStatusInput, workloads: string[]): IdentityStatus {
  const before = input.previous?.identities[identity.name];
  const planned = input.plan.identities[identity.name];
  const desiredHash = permissionsHash(identity);
  const installedHash = before?.installedHash ?? null;
  const base = {
    ...carriedOver(before),
    provider: identity.provider,
    integration: identity.integration,
    file: identity.source.file,
    install: identity.install,
    desiredHash,
    ...cloudNames(integration, identity.name),
    workloads,
  };

  if (planned?.state === "conflict") return { ...base, state: "conflict", ...(planned.message !== undefined ? { message: planned.message } : {}) };
  if (installedHash === desiredHash) return { ...base, state: "installed" };
  if (!identity.install && installedHash === null) return { ...base, state: "not-installed", message: "install is false, so nothing is created" };
  if (!identity.install) return { ...base, state: "pending-install", message: "the permissions in the file differ from the installed ones and install is false" };
  const what = installedHash === null ? "the identity is not installed yet" : "the permissions in the file differ from the installed ones";
  return { ...base, state: "pending-install", message: `${what}; the changes are planned but not applied because ${input.notAppliedBecause}` };
}

/** Returns the fields of the previous status that only an apply changes. */
function carriedOver(before: IdentityStatus | undefined): Pick<IdentityStatus, "installedHash" | "installedRevision" | "createdAt"> & Partial<Pick<IdentityStatus, "aws" | "gcp">> {
  return {
    installedHash: before?.installedHash ?? null,
    installedRevision: before?.installedRevision ?? null,
    createdAt: before?.createdAt ?? null,
    ...(before?.aws !== undefined ? { aws: before.aws } : {}),
    ...(before?.gcp !== undefined ? { gcp: before.gcp } : {}),
  };
}

function cloudNames(integration: Integration, name: string): Pick<IdentityStatus, "aws"> | Pick<IdentityStatus, "gcp"> {
  if (integration.provider === "aws") return { aws: { roleName: awsRoleName(integration.aws, name), roleArn: awsRoleArn(integration, name) } };
  return { gcp: { role: gcpRoleName(integration, name), principal: gcpPrincipal(integration, name) } };
}

function integrationStatuses(model: ConfigModel, previous: StatusFile | undefined): Record<string, IntegrationStatus> {
  const integrations: Record<string, IntegrationStatus> = {};
  for (const integration of model.integrations.values()) {
    const before = previous?.integrations[integration.name];
    const installed = before?.installed ?? false;
    integrations[integration.name] = { provider: integration.provider, state: installed ? "installed" : "not-installed", installed, oidcProvider: before?.oidcProvider ?? null };
  }
  for (const name of model.invalidIntegrations) {
    const before = previous?.integrations[name];
    // A new integration with errors has no provider to report; its diagnostics are logged instead.
    if (before === undefined) continue;
    integrations[name] = {
      provider: before.provider,
      state: "invalid",
      installed: before.installed,
      oidcProvider: before.oidcProvider,
      message: "the Integration document has errors; its cloud resources are kept as they are until it is fixed",
    };
  }
  return integrations;
}

function workloadsByIdentity(workloads: Record<string, WorkloadStatus>): Map<string, string[]> {
  const usedBy = new Map<string, string[]>();
  for (const [key, entry] of Object.entries(workloads)) {
    for (const selection of Object.values(entry)) {
      if (selection.identity === null) continue;
      const list = usedBy.get(selection.identity) ?? [];
      list.push(key);
      usedBy.set(selection.identity, list);
    }
  }
  return usedBy;
}

/** Credentials work only for an identity that something installed, so nothing else is ready. */
function readyWhereInstalled(workloads: Record<string, WorkloadStatus>, identities: Record<string, IdentityStatus>, model: ConfigModel): Record<string, WorkloadStatus> {
  const result: Record<string, WorkloadStatus> = {};
  for (const [key, entry] of Object.entries(workloads)) {
    const updated: WorkloadStatus = {};
    for (const provider of PROVIDERS) {
      const selection = entry[provider];
      if (selection === undefined) continue;
      const installed = selection.identity !== null && (identities[selection.identity]?.installedHash ?? null) !== null;
      const integrationExists = selection.integration !== null && model.integrations.has(selection.integration);
      updated[provider] = { ...selection, ready: installed && integrationExists };
    }
    result[key] = updated;
  }
  return result;
}
