import type { GcpIdentity, GcpIntegration } from "../../config/model.js";
import { GCP_ROLE_ID_PREFIX } from "../../config/names.js";
import { gcpPrincipal } from "../../credentials/layout.js";
import { canonicalPermissions, hashText } from "../../plan/hash.js";
import type { ResourceChange } from "../../plan/types.js";
import type { DesiredIntegration, IdentityComparison, IdentityRemoval, IntegrationComparison } from "../types.js";
import { compareIntegrationResources } from "./compare-integration.js";
import type { DesiredRole } from "./desired.js";
import { desiredRole, resourceNames } from "./desired.js";
import { diffRoleFields, gcpChange } from "./fields.js";
import { owningIntegration } from "./ownership.js";
import { checkPermissions, permissionsLocation } from "./permissions.js";
import type { GcpChangeDetails, GcpObservation, ObservedBinding, ObservedRole } from "./types.js";

/** Custom roles per project, deleted ones included until they are purged: Google's fixed quota. */
export const CUSTOM_ROLE_QUOTA = 300;

/**
 * Compares the desired state of a Google Cloud integration with an observation. Pure:
 * it reads only its arguments. Per identity: its custom role (created, undeleted when
 * soft-deleted, or patched with an `updateMask`) and its principal's binding to that role.
 * Permissions are checked against the project's catalog, and new roles against the
 * custom role quota, so that such errors show in the plan and nothing is written.
 */
export function compareGcp(desired: DesiredIntegration<"gcp">, observation: GcpObservation): IntegrationComparison {
  const { integration } = desired;
  const identities = new Map<string, IdentityComparison>();
  let roleCount = observation.customRoleCount;

  for (const identity of desired.identities) {
    const want = desiredRole(integration, identity);
    const compared = compareIdentity(integration, identity, want, observation);
    // A new role counts toward the quota once it is going to be created.
    const creates = compared.changes.some((change) => change.details?.kind === "gcp-create-role");
    if (creates && identity.install && roleCount + 1 > CUSTOM_ROLE_QUOTA) {
      identities.set(identity.name, { ...compared, status: "rejected", message: quotaMessage(integration, identity, observation, roleCount), changes: [] });
      continue;
    }
    if (creates && identity.install) roleCount += 1;
    identities.set(identity.name, compared);
  }

  return {
    integration: compareIntegrationResources(integration, desired.issuer, observation),
    identities,
    removals: findRemovals(integration, observation, new Set(desired.identities.map((identity) => identity.name)), desired.protectedNames),
  };
}

/** Hash of a role's permissions in the form `permissionsHash` gives a file's permissions. */
export function observedPermissionsHash(role: ObservedRole): string {
  return hashText(canonicalPermissions(role.permissions));
}

function compareIdentity(integration: GcpIntegration, identity: GcpIdentity, want: DesiredRole, observation: GcpObservation): IdentityComparison {
  const role = observation.roles.get(want.roleId);
  const owner = role === undefined ? null : owningIntegration(role.description);
  const live = role !== undefined && owner === integration.name && !role.deleted;
  const base = {
    resources: [resourceNames.role(want.roleId), resourceNames.binding(want.roleId)],
    installedHash: live ? observedPermissionsHash(role) : null,
    createdAt: null,
    reference: { gcp: { role: want.name, principal: want.member } },
  };

  if (role !== undefined && owner === null) {
    return {
      ...base,
      status: "conflict",
      message: `custom role ${role.name}${role.deleted ? " (deleted, with its ID reserved)" : ""} exists without wid's ownership mark; wid leaves it untouched. Delete or rename it, or start its description with "Managed by wid for integration ${integration.name}." to let wid manage it (wid then overwrites its permissions)`,
      changes: [],
    };
  }
  if (role !== undefined && owner !== integration.name) {
    return { ...base, status: "conflict", message: `custom role ${role.name} is managed by wid integration ${owner ?? ""}, not ${integration.name}; an identity name can be used by one integration per project`, changes: [] };
  }

  const permissionsChange = role === undefined || role.deleted || diffRoleFields(role, want.fields).updateMask.includes("includedPermissions");
  const check = checkPermissions(integration.gcp.projectId, want.fields.includedPermissions, observation.permissionCatalog);
  if (permissionsChange && check.errors.length > 0) {
    return { ...base, status: "rejected", message: `${permissionsLocation(identity)}: spec.gcp.permissions ${check.errors.join("; ")}`, changes: [] };
  }

  const changes = [...roleChanges(integration, want, role), ...bindingChanges(integration, want, role, observation.bindings)];
  if (check.testing.length > 0) {
    for (const change of changes.filter((each) => each.permissions === true)) {
      change.diff = { ...change.diff, attributes: [...(change.diff?.attributes ?? []), `TESTING support in custom roles, which Google may change: ${check.testing.join(", ")}`] };
    }
  }
  return { ...base, status: live ? "present" : "absent", changes };
}

function roleChanges(integration: GcpIntegration, want: DesiredRole, role: ObservedRole | undefined): ResourceChange[] {
  const resource = resourceNames.role(want.roleId);
  const make = (action: ResourceChange["action"], reason: string, details: GcpChangeDetails): ResourceChange =>
    gcpChange(action, "custom-role", resource, integration.name, want.identity, reason, details);

  if (role === undefined) {
    const created = make("create", "the custom role does not exist yet", { kind: "gcp-create-role", parent: want.parent, roleId: want.roleId, fields: want.fields });
    created.permissions = true;
    created.diff = { permissionsAdded: [...want.fields.includedPermissions] };
    return [created];
  }

  const diff = diffRoleFields(role, want.fields);
  const patch = diff.updateMask.length > 0 ? { fields: want.fields, updateMask: diff.updateMask } : null;
  const changeDiff = {
    ...(diff.permissionsAdded.length > 0 ? { permissionsAdded: diff.permissionsAdded } : {}),
    ...(diff.permissionsRemoved.length > 0 ? { permissionsRemoved: diff.permissionsRemoved } : {}),
    ...(diff.attributes.length > 0 ? { attributes: diff.attributes } : {}),
  };
  if (role.deleted) {
    const restored = make("create", "the custom role was deleted; Google keeps its ID reserved, so wid restores it with undelete instead of creating it", {
      kind: "gcp-undelete-role",
      name: role.name,
      etag: role.etag,
      patch,
    });
    restored.permissions = true;
    restored.diff = changeDiff;
    return [restored];
  }
  if (patch === null) return [];

  const permissions = patch.updateMask.includes("includedPermissions");
  const updated = make("update", permissions ? "the permissions of the custom role differ from the file" : "the custom role differs from what wid writes", {
    kind: "gcp-update-role",
    name: role.name,
    etag: role.etag,
    patch,
  });
  if (permissions) updated.permissions = true;
  updated.diff = changeDiff;
  return [updated];
}

function bindingChanges(integration: GcpIntegration, want: DesiredRole, role: ObservedRole | undefined, bindings: readonly ObservedBinding[]): ResourceChange[] {
  if (role !== undefined && isBound(bindings, want.name, want.member)) return [];
  const reason = `the principal of subject identity:${want.identity} is not bound to the custom role`;
  return [gcpChange("create", "role-binding", resourceNames.binding(want.roleId), integration.name, want.identity, reason, { kind: "gcp-add-binding", role: want.name, member: want.member })];
}

/** Tests whether `member` has `role` through an unconditional binding. A conditional binding may not apply, so it does not count. */
function isBound(bindings: readonly ObservedBinding[], role: string, member: string): boolean {
  return bindings.some((binding) => binding.role === role && binding.condition === null && binding.members.includes(member));
}

/**
 * Roles that this integration owns but that no desired identity uses: the identity was
 * removed or moved to another integration. Their principal's binding goes first, then
 * the role (a soft delete). Roles of protected (invalid) identities are left out, and so
 * are roles already deleted whose binding is gone.
 */
function findRemovals(integration: GcpIntegration, observation: GcpObservation, desired: ReadonlySet<string>, protectedNames: ReadonlySet<string>): Map<string, IdentityRemoval> {
  const removals = new Map<string, IdentityRemoval>();
  const reason = "wid owns the custom role, but no identity file of the integration uses it";
  for (const role of observation.roles.values()) {
    if (owningIntegration(role.description) !== integration.name) continue;
    const identity = role.roleId.slice(GCP_ROLE_ID_PREFIX.length).replaceAll("_", "-");
    if (desired.has(identity) || protectedNames.has(identity)) continue;

    const member = gcpPrincipal(integration, identity);
    const changes: ResourceChange[] = [];
    if (isBound(observation.bindings, role.name, member)) {
      changes.push(gcpChange("delete", "role-binding", resourceNames.binding(role.roleId), integration.name, identity, reason, { kind: "gcp-remove-binding", role: role.name, member }));
    }
    if (!role.deleted) {
      changes.push(gcpChange("delete", "custom-role", resourceNames.role(role.roleId), integration.name, identity, reason, { kind: "gcp-delete-role", name: role.name, etag: role.etag }));
    }
    if (changes.length === 0) continue;
    removals.set(role.name, {
      identity,
      changes,
      installedHash: role.deleted ? null : observedPermissionsHash(role),
      createdAt: null,
      reference: { gcp: { role: role.name, principal: member } },
    });
  }
  return removals;
}

function quotaMessage(integration: GcpIntegration, identity: GcpIdentity, observation: GcpObservation, roleCount: number): string {
  const { file, line, column } = identity.source;
  return `${file}:${line}:${column}: project ${integration.gcp.projectId} already has ${roleCount} custom roles, or will have after this plan (${observation.customRoleCount} exist now, deleted ones included until Google purges them), and Google allows ${CUSTOM_ROLE_QUOTA} per project, so this identity's role cannot be created. Delete custom roles the project no longer uses, or move identities to an integration in another project`;
}
