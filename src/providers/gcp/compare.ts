import type { GcpIdentity, GcpIntegration, Integration } from "../../config/model.js";
import { GCP_ROLE_ID_PREFIX } from "../../config/names.js";
import { gcpPrincipal } from "../../credentials/layout.js";
import { canonicalPermissions, hashText } from "../../plan/hash.js";
import type { ResourceChange } from "../../plan/types.js";
import { issuerDigest } from "../ownership.js";
import type { DesiredIntegration, IdentityComparison, IdentityRemoval, IntegrationComparison } from "../types.js";
import { compareIntegrationResources } from "./compare-integration.js";
import type { DesiredRole } from "./desired.js";
import { desiredRole, resourceNames } from "./desired.js";
import { diffRoleFields, gcpChange } from "./fields.js";
import { ownershipMark, readMark } from "./ownership.js";
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
    const want = desiredRole(integration, identity, desired.issuer);
    const compared = compareIdentity(integration, desired.issuer, identity, want, observation);
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
    removals: findRemovals(integration, desired, observation),
  };
}

/** Hash of a role's permissions in the form `permissionsHash` gives a file's permissions. */
export function observedPermissionsHash(role: ObservedRole): string {
  return hashText(canonicalPermissions(role.permissions));
}

function compareIdentity(integration: GcpIntegration, issuer: string, identity: GcpIdentity, want: DesiredRole, observation: GcpObservation): IdentityComparison {
  const role = observation.roles.get(want.roleId);
  const conflict = role === undefined ? undefined : ownershipConflict(integration, issuer, role);
  const live = role !== undefined && conflict === undefined && !role.deleted;
  const base = {
    resources: [resourceNames.role(want.roleId), resourceNames.binding(want.roleId)],
    installedHash: live ? observedPermissionsHash(role) : null,
    createdAt: null,
    reference: { gcp: { role: want.name, principal: want.member } },
  };
  if (conflict !== undefined) return { ...base, status: "conflict", message: conflict, changes: [] };

  const permissionsChange = role === undefined || role.deleted || diffRoleFields(role, want.fields).updateMask.includes("includedPermissions");
  const check = checkPermissions(integration.gcp.projectId, want.fields.includedPermissions, observation.permissionCatalog);
  if (permissionsChange && check.errors.length > 0) {
    return { ...base, status: "rejected", message: `${permissionsLocation(identity)}: spec.gcp.permissions ${check.errors.join("; ")}`, changes: [] };
  }

  const binding = bindingChanges(integration, want, role, observation.bindings);
  const changes = [...roleChanges(integration, want, role), ...binding.changes];
  if (check.testing.length > 0) {
    for (const change of changes.filter((each) => each.permissions === true)) {
      change.diff = { ...change.diff, attributes: [...(change.diff?.attributes ?? []), `TESTING support in custom roles, which Google may change: ${check.testing.join(", ")}`] };
    }
  }
  return { ...base, status: live ? "present" : "absent", changes, ...(binding.drift !== undefined ? { drift: binding.drift } : {}) };
}

/**
 * Explains why an existing custom role of the identity's ID is not wid's to change, or
 * returns undefined when it is: its description carries the mark of this integration
 * for this issuer (or a mark written before wid marked the issuer), or the mark of
 * another integration of this issuer, which means the identity moved here from that
 * integration of the same repository and this integration takes the role over.
 */
function ownershipConflict(integration: GcpIntegration, issuer: string, role: ObservedRole): string | undefined {
  const mark = readMark(role.description);
  const deleted = role.deleted ? " (deleted, with its ID reserved)" : "";
  const wanted = ownershipMark(integration.name, issuer);
  if (mark === null) {
    return `custom role ${role.name}${deleted} exists without wid's ownership mark; wid leaves it untouched. Delete or rename it, or start its description with "${wanted}" to let wid manage it (wid then overwrites its permissions and bindings)`;
  }
  const digest = issuerDigest(issuer);
  if (mark.issuer !== null && mark.issuer !== digest) {
    return `custom role ${role.name}${deleted} is managed by wid for another issuer (${mark.issuer}; this repository's issuer gives ${digest}), so another config repository manages it; wid leaves it untouched. If this repository's issuer changed, start its description with "${wanted}" to let wid manage it again`;
  }
  if (mark.integration === integration.name || mark.issuer === digest) return undefined;
  return `custom role ${role.name}${deleted} is marked for wid integration ${mark.integration} by a wid version that did not mark the issuer, so wid cannot tell whether this repository manages it; an identity name can be used by one integration per project. If the identity moved here from ${mark.integration} in this repository, start the role's description with "${wanted}"`;
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

/**
 * Plans the role's bindings to be exactly one unconditional binding of the identity's
 * principal. A missing principal is added. Members added outside wid (a `principalSet`,
 * `allUsers`, a principal of a pool the integration no longer uses) and conditional
 * bindings of the role are drift, and are removed in the same policy update.
 */
function bindingChanges(integration: GcpIntegration, want: DesiredRole, role: ObservedRole | undefined, bindings: readonly ObservedBinding[]): { changes: ResourceChange[]; drift?: string } {
  const ofRole = bindings.filter((binding) => binding.role === want.name);
  const foreign = [...new Set(ofRole.filter((binding) => binding.condition === null).flatMap((binding) => binding.members.filter((member) => member !== want.member)))].sort();
  const conditions = ofRole.flatMap((binding) => (binding.condition === null ? [] : [binding.condition]));
  const bound = role !== undefined && isBound(bindings, want.name, want.member);
  const resource = resourceNames.binding(want.roleId);

  if (foreign.length === 0 && conditions.length === 0) {
    if (bound) return { changes: [] };
    const reason = `the principal of subject identity:${want.identity} is not bound to the custom role`;
    return { changes: [gcpChange("create", "role-binding", resource, integration.name, want.identity, reason, { kind: "gcp-add-binding", role: want.name, member: want.member })] };
  }

  const found: string[] = [];
  if (foreign.length > 0) found.push(`${foreign.length === 1 ? "a member was" : `${foreign.length} members were`} added to it (${foreign.join(", ")})`);
  if (conditions.length > 0) found.push(`${conditions.length === 1 ? "a conditional binding was" : `${conditions.length} conditional bindings were`} added for it`);
  const drift = `the binding of the custom role was changed outside wid: ${found.join(", and ")}`;
  const attributes = [
    ...(bound ? [] : [`member + ${want.member}`]),
    ...foreign.map((member) => `member - ${member}`),
    ...conditions.map((condition) => `conditional binding - ${condition.title ?? condition.expression}`),
  ];
  const reason = "the custom role is granted to more than the identity's principal; wid's role is bound to that principal alone";
  const details: GcpChangeDetails = { kind: "gcp-set-binding", role: want.name, member: want.member, removeMembers: foreign, removeConditions: conditions };
  const update = gcpChange("update", "role-binding", resource, integration.name, want.identity, reason, details);
  update.diff = { attributes };
  return { changes: [update], drift };
}

/** Tests whether `member` has `role` through an unconditional binding. A conditional binding may not apply, so it does not count. */
function isBound(bindings: readonly ObservedBinding[], role: string, member: string): boolean {
  return bindings.some((binding) => binding.role === role && binding.condition === null && binding.members.includes(member));
}

/**
 * Roles that this integration owns for this issuer but that no desired identity uses:
 * the identity was removed or moved to another integration. Their principal's binding
 * goes first, then the role (a soft delete). Left out: roles of protected (invalid)
 * identities, roles already deleted whose binding is gone, roles whose identity now
 * belongs to another integration of the same project (which takes the role over, as
 * role IDs do not depend on the integration), and roles marked before wid marked the
 * issuer that are not bound to this integration's principal, which cannot be shown to
 * belong to this repository.
 */
function findRemovals(integration: GcpIntegration, desired: DesiredIntegration<"gcp">, observation: GcpObservation): Map<string, IdentityRemoval> {
  const removals = new Map<string, IdentityRemoval>();
  const names = new Set(desired.identities.map((identity) => identity.name));
  const reason = "wid owns the custom role, but no identity file of the integration uses it";
  for (const role of observation.roles.values()) {
    const mark = readMark(role.description);
    if (mark?.integration !== integration.name || (mark.issuer !== null && mark.issuer !== issuerDigest(desired.issuer))) continue;
    const identity = role.roleId.slice(GCP_ROLE_ID_PREFIX.length).replaceAll("_", "-");
    if (names.has(identity) || desired.protectedNames.has(identity) || isTakenOver(integration, desired.elsewhere.get(identity))) continue;

    const member = gcpPrincipal(integration, identity);
    const bound = isBound(observation.bindings, role.name, member);
    if (mark.issuer === null && !bound) continue;
    const changes: ResourceChange[] = [];
    if (bound) {
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

/** Tests whether `target`, the identity's integration now, uses the same custom role: a Google Cloud integration of the same project. */
function isTakenOver(integration: GcpIntegration, target: Integration | undefined): boolean {
  return target?.provider === "gcp" && target.gcp.projectId === integration.gcp.projectId;
}

function quotaMessage(integration: GcpIntegration, identity: GcpIdentity, observation: GcpObservation, roleCount: number): string {
  const { file, line, column } = identity.source;
  return `${file}:${line}:${column}: project ${integration.gcp.projectId} already has ${roleCount} custom roles, or will have after this plan (${observation.customRoleCount} exist now, deleted ones included until Google purges them), and Google allows ${CUSTOM_ROLE_QUOTA} per project, so this identity's role cannot be created. Delete custom roles the project no longer uses, or move identities to an integration in another project`;
}
