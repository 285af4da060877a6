import type { ConfigModel, Integration, Provider, WorkloadIdentity } from "../config/model.js";
import { awsRoleName, gcpRoleId } from "../config/names.js";
import { resolveSelections } from "../scope/resolve.js";
import { buildWorkloadMapping } from "../status/mapping.js";
import type { IdentityStatus, StatusFile } from "../status/types.js";
import { frozenSelections } from "./frozen.js";
import { permissionsHash } from "./hash.js";
import type { IdentityNote, IdentityPlanState, Plan, ResourceChange, ResourceType } from "./types.js";
import { summarize } from "./types.js";

/**
 * Plans against the status file instead of the cloud: what would be created, changed
 * or deleted if the status file is still true, and what waits for `install: true`. It
 * cannot see drift or resources changed outside wid; `wid plan` without `--offline` can.
 */
export function planOffline(model: ConfigModel, previous: StatusFile | undefined, revision: string | null): Plan {
  const changes: ResourceChange[] = [];
  const pending: ResourceChange[] = [];
  const conflicts: IdentityNote[] = [];
  const orphans: IdentityNote[] = [];
  const invalid: IdentityNote[] = [];
  const identities: Record<string, IdentityPlanState> = {};
  const previousIdentities = previous?.identities ?? {};
  const providerNeeded = { changes: new Map<string, string>(), pending: new Map<string, string>() };
  const deletesSuspended = model.unreadableFiles.length > 0;

  // Desired identities: create, update or leave each one, or hold it as pending.
  for (const identity of model.identities.values()) {
    const integration = model.integrations.get(identity.integration);
    if (integration === undefined) continue;
    const before = previousIdentities[identity.name];
    if (before?.state === "conflict") {
      conflicts.push(note(identity, before.message ?? "a resource of the same name exists that wid does not own"));
      identities[identity.name] = { state: "conflict", ...(before.message !== undefined ? { message: before.message } : {}) };
      continue;
    }

    const desiredHash = permissionsHash(identity);
    const installedHash = before?.installedHash ?? null;
    const target = identity.install ? changes : pending;

    if (installedHash === null) {
      if (previous?.integrations[integration.name]?.installed !== true) {
        const needed = identity.install ? providerNeeded.changes : providerNeeded.pending;
        if (!needed.has(integration.name)) needed.set(integration.name, identity.name);
      }
      target.push(...identityChanges("create", integration, identity, "the identity is not installed yet"));
      identities[identity.name] = identity.install ? { state: "installed" } : { state: "not-installed", message: "install is false" };
    } else if (installedHash !== desiredHash) {
      target.push(...identityChanges("update", integration, identity, "the permissions in the file differ from the installed ones"));
      identities[identity.name] = identity.install
        ? { state: "installed" }
        : { state: "pending-install", message: "the permissions in the file differ from the installed ones, and install is false" };
    } else {
      identities[identity.name] = { state: "installed" };
    }
  }

  // The OIDC provider comes first: roles and bindings refer to it.
  changes.unshift(...[...providerNeeded.changes].flatMap(([name, first]) => integrationChanges(model.integrations.get(name) as Integration, first)));
  const pendingProviders = [...providerNeeded.pending].filter(([name]) => !providerNeeded.changes.has(name));
  pending.unshift(...pendingProviders.flatMap(([name, first]) => integrationChanges(model.integrations.get(name) as Integration, first)));

  // Invalid identities keep their last installed state; nothing is planned for them.
  for (const identity of model.invalidIdentities.values()) {
    const before = previousIdentities[identity.name];
    invalid.push({
      identity: identity.name,
      provider: identity.provider ?? before?.provider ?? "aws",
      integration: identity.integration ?? before?.integration ?? "",
      message: `${identity.source.file} has errors; the identity keeps its last installed state until the file is fixed`,
    });
    identities[identity.name] = { state: "invalid" };
  }

  // Removed identities: delete with prune, otherwise report them as orphaned.
  for (const [name, before] of Object.entries(previousIdentities)) {
    if (model.identities.has(name) || model.invalidIdentities.has(name)) continue;
    if (before.installedHash === null || before.state === "conflict") continue;
    const integration = model.integrations.get(before.integration);
    if (model.settings?.prune === true && !deletesSuspended && integration !== undefined) {
      changes.push(...removedIdentityChanges(integration, name, before));
      continue;
    }
    const why = deletesSuspended
      ? `the file was removed, but deletes are suspended while ${model.unreadableFiles.join(", ")} cannot be read`
      : "the file was removed and prune is off; its cloud resources are kept";
    orphans.push({ identity: name, provider: before.provider, integration: before.integration, message: why });
    identities[name] = { state: "orphaned", message: why };
  }

  const isInstalled = (name: string): boolean => (previousIdentities[name]?.installedHash ?? null) !== null;
  const resolution = resolveSelections(model, { isInstalled, frozen: frozenSelections(model, previous) });
  // A selected identity is ready when it will be installed after the apply.
  const workloads = buildWorkloadMapping(model, resolution, (name) => ({
    ready: identities[name]?.state === "installed" || isInstalled(name),
    createdAt: previousIdentities[name]?.createdAt ?? null,
    description: null,
    integration: previousIdentities[name]?.integration ?? null,
  }));

  return {
    mode: "offline",
    revision,
    summary: summarize(changes),
    changes,
    pending,
    conflicts,
    orphans,
    invalid,
    failedIntegrations: [],
    identities,
    workloads,
  };
}

function note(identity: WorkloadIdentity, message: string): IdentityNote {
  return { identity: identity.name, provider: identity.provider, integration: identity.integration, message };
}

function change(action: ResourceChange["action"], type: ResourceType, name: string, integration: Integration, identity: string | null, reason: string): ResourceChange {
  return { action, type, resource: `${type}/${name}`, provider: integration.provider, integration: integration.name, identity, reason };
}

function integrationChanges(integration: Integration, firstIdentity: string): ResourceChange[] {
  const reason = `first install of an identity of the integration (${firstIdentity})`;
  if (integration.provider === "aws") return [change("create", "oidc-provider", integration.name, integration, null, reason)];
  return [
    change("create", "workload-identity-pool", integration.gcp.poolId, integration, null, reason),
    change("create", "workload-identity-pool-provider", integration.gcp.providerId, integration, null, reason),
  ];
}

function identityChanges(action: "create" | "update", integration: Integration, identity: WorkloadIdentity, reason: string): ResourceChange[] {
  if (integration.provider === "aws") {
    const role = awsRoleName(integration.aws, identity.name);
    return action === "create"
      ? [change("create", "role", role, integration, identity.name, reason), change("create", "role-policy", role, integration, identity.name, reason)]
      : [change("update", "role-policy", role, integration, identity.name, reason)];
  }
  const roleId = gcpRoleId(identity.name);
  return action === "create"
    ? [change("create", "custom-role", roleId, integration, identity.name, reason), change("create", "role-binding", roleId, integration, identity.name, reason)]
    : [change("update", "custom-role", roleId, integration, identity.name, reason)];
}

function removedIdentityChanges(integration: Integration, name: string, before: IdentityStatus): ResourceChange[] {
  const reason = "the file was removed and prune is on";
  const provider: Provider = before.provider;
  if (provider === "aws" && integration.provider === "aws") {
    const role = awsRoleName(integration.aws, name);
    return [change("delete", "role-policy", role, integration, name, reason), change("delete", "role", role, integration, name, reason)];
  }
  const roleId = gcpRoleId(name);
  return [change("delete", "role-binding", roleId, integration, name, reason), change("delete", "custom-role", roleId, integration, name, reason)];
}
