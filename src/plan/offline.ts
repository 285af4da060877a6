import type { ConfigModel, Integration, Provider, WorkloadIdentity } from "../config/model.js";
import { awsRoleName, gcpRoleId } from "../config/names.js";
import { oidcProviderResource, rolePolicyResource, roleResource } from "../providers/aws/resources.js";
import type { IdentityStatus, StatusFile } from "../status/types.js";
import { permissionsHash } from "./hash.js";
import { identityNote, invalidIdentityNotes, orphanMessage, planWorkloads, PRUNE_REASON, removalPolicy } from "./semantics.js";
import type { IdentityNote, IdentityPlanState, IntegrationPlanState, Plan, ResourceChange, ResourceType } from "./types.js";
import { summarize } from "./types.js";
import { statusSelectionInputs } from "./selection-inputs.js";

/**
 * Plans against the status file instead of the cloud: what would be created, changed
 * or deleted if the status file is still true, and what waits for `install: true`. It
 * cannot see drift or resources changed outside wid; `wid plan` without `--offline` can.
 * Identities of files that cannot be read are invalid (see `statusSelectionInputs`).
 */
export function planOffline(config: ConfigModel, previous: StatusFile | undefined, revision: string | null): Plan {
  const { model, isInstalled } = statusSelectionInputs(config, previous);
  const changes: ResourceChange[] = [];
  const pending: ResourceChange[] = [];
  const conflicts: IdentityNote[] = [];
  const orphans: IdentityNote[] = [];
  const invalidIdentities = invalidIdentityNotes(model, previous);
  const identities: Record<string, IdentityPlanState> = {};
  const previousIdentities = previous?.identities ?? {};
  const providerNeeded = { changes: new Map<string, string>(), pending: new Map<string, string>() };
  const removal = removalPolicy(model);
  const issuer = model.settings?.issuer ?? "";
  const suspended = model.settings?.suspend === true;

  // Desired identities: create, update or leave each one, or hold it as pending.
  for (const identity of model.identities.values()) {
    const integration = model.integrations.get(identity.integration);
    if (integration === undefined) continue;
    const before = previousIdentities[identity.name];
    if (before?.state === "conflict") {
      conflicts.push(identityNote(identity, before.message ?? "a resource of the same name exists that wid does not own"));
      identities[identity.name] = { state: "conflict", ...(before.message !== undefined ? { message: before.message } : {}) };
      continue;
    }

    const desiredHash = permissionsHash(identity);
    const installedHash = before?.installedHash ?? null;
    // While applying is suspended, the changes of every identity wait, as with install: false.
    const applies = identity.install && !suspended;
    const target = applies ? changes : pending;
    const waitingFor = identity.install ? "applying is suspended" : "install is false";

    if (installedHash === null) {
      if (previous?.integrations[integration.name]?.installed !== true) {
        const needed = applies ? providerNeeded.changes : providerNeeded.pending;
        if (!needed.has(integration.name)) needed.set(integration.name, identity.name);
      }
      target.push(...identityChanges("create", integration, identity, "the identity is not installed yet"));
      if (applies) identities[identity.name] = { state: "installed" };
      else if (identity.install) identities[identity.name] = { state: "pending-install", message: waitingFor };
      else identities[identity.name] = { state: "not-installed", message: waitingFor };
    } else if (installedHash !== desiredHash) {
      target.push(...identityChanges("update", integration, identity, "the permissions in the file differ from the installed ones"));
      identities[identity.name] = applies ? { state: "installed" } : { state: "pending-install", message: `the permissions in the file differ from the installed ones, and ${waitingFor}` };
    } else {
      identities[identity.name] = { state: "installed" };
    }
  }

  // The OIDC provider comes first: roles and bindings refer to it.
  const integrationOf = (name: string): Integration | undefined => model.integrations.get(name);
  changes.unshift(...[...providerNeeded.changes].flatMap(([name, first]) => integrationChanges(integrationOf(name), issuer, first)));
  const pendingProviders = [...providerNeeded.pending].filter(([name]) => !providerNeeded.changes.has(name));
  pending.unshift(...pendingProviders.flatMap(([name, first]) => integrationChanges(integrationOf(name), issuer, first)));

  // Invalid identities keep their last installed state; nothing is planned for them.
  Object.assign(identities, invalidIdentities.states);

  // Removed identities: delete with prune, otherwise report them as orphaned.
  for (const [name, before] of Object.entries(previousIdentities)) {
    if (model.identities.has(name) || model.invalidIdentities.has(name)) continue;
    if (before.installedHash === null || before.state === "conflict") continue;
    const integration = model.integrations.get(before.integration);
    if (removal.deleteAllowed && integration !== undefined) {
      changes.push(...removedIdentityChanges(integration, name, before));
      continue;
    }
    const why = orphanMessage(removal);
    orphans.push({ identity: name, provider: before.provider, integration: before.integration, message: why });
    identities[name] = { state: "orphaned", message: why };
  }

  const integrations: Record<string, IntegrationPlanState> = {};
  for (const integration of model.integrations.values()) {
    integrations[integration.name] = { provider: integration.provider, state: "unknown", reference: previous?.integrations[integration.name]?.oidcProvider ?? null };
  }

  return {
    mode: "offline",
    revision,
    summary: summarize(changes),
    changes,
    pending,
    conflicts,
    orphans,
    invalid: invalidIdentities.notes,
    failedIntegrations: [],
    skippedIntegrations: [],
    integrations,
    identities,
    workloads: planWorkloads(model, previous, identities, isInstalled),
  };
}

function change(action: ResourceChange["action"], type: ResourceType, resource: string, integration: Integration, identity: string | null, reason: string): ResourceChange {
  return { action, type, resource, provider: integration.provider, integration: integration.name, identity, reason };
}

function integrationChanges(integration: Integration | undefined, issuer: string, firstIdentity: string): ResourceChange[] {
  if (integration === undefined) return [];
  const reason = `first install of an identity of the integration (${firstIdentity})`;
  if (integration.provider === "aws") return [change("create", "oidc-provider", oidcProviderResource(issuer), integration, null, reason)];
  return [
    change("create", "workload-identity-pool", `workload-identity-pool/${integration.gcp.poolId}`, integration, null, reason),
    change("create", "workload-identity-pool-provider", `workload-identity-pool-provider/${integration.gcp.providerId}`, integration, null, reason),
  ];
}

function identityChanges(action: "create" | "update", integration: Integration, identity: WorkloadIdentity, reason: string): ResourceChange[] {
  if (integration.provider === "aws") {
    const role = awsRoleName(integration.aws, identity.name);
    return action === "create"
      ? [change("create", "role", roleResource(role), integration, identity.name, reason), change("create", "role-policy", rolePolicyResource(role), integration, identity.name, reason)]
      : [change("update", "role-policy", rolePolicyResource(role), integration, identity.name, reason)];
  }
  const roleId = gcpRoleId(identity.name);
  return action === "create"
    ? [change("create", "custom-role", `custom-role/${roleId}`, integration, identity.name, reason), change("create", "role-binding", `role-binding/${roleId}`, integration, identity.name, reason)]
    : [change("update", "custom-role", `custom-role/${roleId}`, integration, identity.name, reason)];
}

function removedIdentityChanges(integration: Integration, name: string, before: IdentityStatus): ResourceChange[] {
  const reason = PRUNE_REASON;
  const provider: Provider = before.provider;
  if (provider === "aws" && integration.provider === "aws") {
    const role = awsRoleName(integration.aws, name);
    return [change("delete", "role-policy", rolePolicyResource(role), integration, name, reason), change("delete", "role", roleResource(role), integration, name, reason)];
  }
  const roleId = gcpRoleId(name);
  return [change("delete", "role-binding", `role-binding/${roleId}`, integration, name, reason), change("delete", "custom-role", `custom-role/${roleId}`, integration, name, reason)];
}
