import type { AwsIdentity, AwsIntegration, Integration } from "../../config/model.js";
import { awsRoleName } from "../../config/names.js";
import { hashText } from "../../plan/hash.js";
import type { ChangeAction, ResourceChange, ResourceDiff, ResourceType } from "../../plan/types.js";
import type {
  DesiredIntegration,
  IdentityComparison,
  IdentityReference,
  IdentityRemoval,
  IntegrationComparison,
  IntegrationResourcesComparison,
} from "../types.js";
import { canonicalPolicyJson } from "../../config/aws-policy/canonical.js";
import type { DecodedDocument } from "./decode.js";
import type { DesiredRole } from "./desired.js";
import { desiredOidcProvider, desiredRole } from "./desired.js";
import { checkOidcProviderLimits, checkRoleLimits } from "./limits.js";
import { diffPolicies } from "./policy-diff.js";
import { oidcProviderResource, POLICY_NAME, rolePolicyResource, roleResource } from "./resources.js";
import { issuerDigest } from "../ownership.js";
import { roleIssuer } from "./ownership.js";
import { DESCRIPTION_TAG, IDENTITY_TAG, INTEGRATION_TAG, ISSUER_TAG, isOwned, OWNER_TAG } from "./tags.js";
import { oidcProviderArn } from "./trust.js";
import type { AwsChangeDetails, AwsObservation, AwsTag, ObservedRole } from "./types.js";

/**
 * Compares the desired state of an AWS integration with an observation. Pure: it
 * reads only its arguments. Policies are compared in canonical form, so documents that
 * IAM merely rewrote (encoding, order, one-element lists) are never a change.
 */
export function compareAws(desired: DesiredIntegration<"aws">, observation: AwsObservation): IntegrationComparison {
  const { integration, issuer } = desired;
  const identities = new Map<string, IdentityComparison>();
  const desiredRoleNames = new Set<string>();

  for (const identity of desired.identities) {
    const role = desiredRole(integration, identity, issuer, observation.partition);
    desiredRoleNames.add(role.roleName);
    identities.set(identity.name, compareIdentity(integration, identity, role, observation));
  }

  return {
    integration: compareOidcProvider(integration, issuer, observation),
    identities,
    removals: findRemovals(integration, desired, observation, desiredRoleNames),
  };
}

/** Hash of an observed inline policy in the form `permissionsHash` gives a file's policy. */
export function observedPolicyHash(document: DecodedDocument | undefined): string | null {
  if (document === undefined) return null;
  return document.ok ? hashText(canonicalPolicyJson(document.value)) : hashText(`unreadable:${document.text}`);
}

function compareOidcProvider(integration: AwsIntegration, issuer: string, observation: AwsObservation): IntegrationResourcesComparison {
  const want = desiredOidcProvider(integration, issuer, observation.partition);
  const resource = oidcProviderResource(issuer);
  const found = observation.oidcProvider;
  const make = (action: ChangeAction, reason: string, details: AwsChangeDetails): ResourceChange =>
    change(action, "oidc-provider", resource, integration, null, reason, details);

  const violations = checkOidcProviderLimits(want.url, want.clientIds, want.tags);
  if (violations.length > 0) {
    const message = violations.map((violation) => `Settings ${violation.field} ${violation.message}`).join("; ");
    return { status: "rejected", message, reference: null, resources: [resource], changes: [] };
  }

  if (found === null) {
    const details: AwsChangeDetails = { kind: "aws-create-oidc-provider", arn: want.arn, url: want.url, clientIds: want.clientIds, tags: want.tags };
    return { status: "absent", reference: null, resources: [resource], changes: [make("create", "the account has no OIDC provider for the issuer", details)] };
  }
  if (!isOwned(found.tags)) {
    return {
      status: "conflict",
      message: `an IAM OIDC provider for ${found.url} exists in account ${integration.aws.accountId} without wid's ownership tag ${OWNER_TAG.Key}=${OWNER_TAG.Value}; wid leaves it untouched and creates no roles that trust it. Tag it ${OWNER_TAG.Key}=${OWNER_TAG.Value} to let wid manage it, or delete it`,
      reference: found.arn,
      resources: [resource],
      changes: [],
    };
  }

  const missing = want.clientIds.filter((clientId) => !found.clientIds.includes(clientId));
  if (missing.length === 0) return { status: "present", reference: found.arn, resources: [resource], changes: [] };
  const details: AwsChangeDetails = { kind: "aws-update-oidc-provider", arn: found.arn, addClientIds: missing, tags: [] };
  const update = make("update", `the OIDC provider does not list the client ID ${missing.join(", ")}`, details);
  update.diff = { attributes: missing.map((clientId) => `client ID + ${clientId}`) };
  return { status: "present", reference: found.arn, resources: [resource], changes: [update] };
}

function compareIdentity(integration: AwsIntegration, identity: AwsIdentity, want: DesiredRole, observation: AwsObservation): IdentityComparison {
  const role = observation.roles.get(want.roleName);
  const owned = role !== undefined && isOwned(role.tags);
  const base = {
    resources: [roleResource(want.roleName), rolePolicyResource(want.roleName)],
    installedHash: owned ? observedPolicyHash(role.inlinePolicies.get(POLICY_NAME)) : null,
    createdAt: owned ? role.createdAt : null,
    reference: { aws: { roleName: want.roleName, roleArn: owned ? role.arn : want.arn } } satisfies IdentityReference,
  };

  const violations = checkRoleLimits({
    roleName: want.roleName,
    path: want.path,
    description: want.description,
    trustPolicy: want.trustPolicyText,
    policyName: want.policyName,
    policy: want.policyText,
    tags: want.tags,
  });
  if (violations.length > 0) {
    const at = (field: string): string => {
      const source = field === "spec.aws.policy" ? identity.permissionsSource : identity.source;
      return `${source.file}:${source.line}:${source.column}`;
    };
    const message = violations.map((violation) => `${at(violation.field)}: ${violation.field} ${violation.message}`).join("; ");
    return { ...base, status: "rejected", message, changes: [] };
  }

  if (role === undefined) {
    return { ...base, status: "absent", changes: createChanges(integration, want, "the role does not exist yet") };
  }
  const conflict = ownershipConflict(integration, role, want);
  if (conflict !== undefined) return { ...base, installedHash: null, createdAt: null, status: "conflict", message: conflict, changes: [] };

  const inPlace = [...roleUpdate(integration, role, want), ...policyChanges(integration, role, want)];
  const drift = roleDrift(role, want);
  const comparison: IdentityComparison = { ...base, status: "present", changes: inPlace, ...(drift !== undefined ? { drift } : {}) };
  if (role.path === want.path) return comparison;

  // IAM cannot move a role, and a role name is unique in the account whatever its path,
  // so a new path means deleting the role and creating it again: never without prune.
  const reason = `the role is under path ${role.path} but the integration's rolePath is ${want.path}; IAM cannot move a role, so it is replaced (deleted and created again under the new path, which changes its ARN)`;
  const pendingReason = `rolePath changed: the role keeps its path ${role.path} and its ARN until it is replaced, which deletes it and so happens only with prune: true and install: true`;
  return { ...comparison, replacement: { changes: [replaceChange(integration, role, want, reason)], reason: pendingReason } };
}

/**
 * Explains why an existing role of the identity's name is not wid's to change, or
 * returns undefined when it is. A role is wid's when it carries the ownership tag and
 * belongs to this issuer (or predates the issuer tag), and its identity tag, if any,
 * names this identity. It must also be tagged for this integration, for no integration,
 * or for another integration of this issuer, which hands it over.
 */
function ownershipConflict(integration: AwsIntegration, role: ObservedRole, want: DesiredRole): string | undefined {
  const { accountId } = integration.aws;
  if (!isOwned(role.tags)) {
    return `role ${want.roleName} exists in account ${accountId} without wid's ownership tag ${OWNER_TAG.Key}=${OWNER_TAG.Value}; wid leaves it untouched. Delete or rename it, or tag it ${OWNER_TAG.Key}=${OWNER_TAG.Value} to let wid manage it (wid then overwrites its trust and permissions)`;
  }
  const issuer = roleIssuer(role, want.issuerDigest, want.providerArn);
  if (issuer === "other") {
    return `role ${want.roleName} is managed by wid for another issuer (tag ${ISSUER_TAG}=${role.tags[ISSUER_TAG] ?? ""}; this repository's issuer gives ${want.issuerDigest}), so another config repository manages it; wid leaves it untouched. Give the integrations of the two repositories different roleNamePrefix values. If this repository's issuer changed, tag the role ${ISSUER_TAG}=${want.issuerDigest} to let wid manage it again`;
  }
  const taggedIdentity = role.tags[IDENTITY_TAG];
  if (taggedIdentity !== undefined && taggedIdentity !== want.identity) {
    return `role ${want.roleName} is managed by wid for identity ${taggedIdentity} (tag ${IDENTITY_TAG}=${taggedIdentity}${role.tags[INTEGRATION_TAG] !== undefined ? ` in integration ${role.tags[INTEGRATION_TAG]}` : ""}), not ${want.identity}; wid leaves it untouched. Give the integrations different roleNamePrefix values so that each identity gets its own role name`;
  }
  const owner = role.tags[INTEGRATION_TAG];
  if (owner === undefined || owner === integration.name || issuer === "this") return undefined;
  return `role ${want.roleName} is managed by wid integration ${owner}, not ${integration.name}, and names no issuer that ties it to this repository; give the integrations different roleNamePrefix values, or remove the identity from one of them`;
}

/** Differences that change who can assume the role or what else it may do, as a clause. */
function roleDrift(role: ObservedRole, want: DesiredRole): string | undefined {
  const found: string[] = [];
  if (!role.trustPolicy.ok || canonicalPolicyJson(role.trustPolicy.value) !== canonicalPolicyJson(want.trustPolicy)) found.push("its trust policy differs from the one wid writes");
  if (role.attachedPolicies.length > 0) found.push(`managed policies were attached (${role.attachedPolicies.join(", ")})`);
  const extra = [...role.inlinePolicies.keys()].filter((name) => name !== want.policyName);
  if (extra.length > 0) found.push(`inline policies were added (${extra.join(", ")})`);
  return found.length === 0 ? undefined : `the role was changed outside wid: ${found.join("; ")}`;
}

/** Plans the replacement of a role under another path, with what is needed to put it back if the new one cannot be created. */
function replaceChange(integration: AwsIntegration, role: ObservedRole, want: DesiredRole, reason: string): ResourceChange {
  const readable = (document: DecodedDocument | undefined): string | undefined => (document?.ok === true ? JSON.stringify(document.value) : undefined);
  const inlinePolicies = [...role.inlinePolicies].map(([policyName, document]) => ({ policyName, document: readable(document) ?? null }));
  const details: AwsChangeDetails = {
    kind: "aws-replace-role",
    roleName: want.roleName,
    previous: {
      path: role.path,
      arn: role.arn,
      trustMatches: role.trustPolicy.ok && canonicalPolicyJson(role.trustPolicy.value) === canonicalPolicyJson(want.trustPolicy),
      permissionsBoundary: role.permissionsBoundary,
      tags: Object.entries(role.tags).map(([Key, Value]) => ({ Key, Value })),
      inlinePolicies,
      attachedPolicies: [...role.attachedPolicies],
      instanceProfiles: [...role.instanceProfiles],
    },
    create: { roleName: want.roleName, path: want.path, trustPolicy: want.trustPolicyText, description: want.description, permissionsBoundary: want.permissionsBoundary, tags: want.tags },
    policy: { policyName: want.policyName, document: want.policyText },
  };
  const replaced = change("update", "role", roleResource(want.roleName), integration, want.identity, reason, details);
  replaced.permissions = true;
  const attributes = [`path: ${role.path} -> ${want.path} (replaced: ARN ${role.arn} -> ${want.arn})`];
  if (!details.previous.trustMatches) attributes.push("trust policy differs from the one wid writes, and is fixed on the old role first");
  replaced.diff = { attributes };
  return replaced;
}

function createChanges(integration: AwsIntegration, want: DesiredRole, reason: string): ResourceChange[] {
  const createRole: AwsChangeDetails = {
    kind: "aws-create-role",
    roleName: want.roleName,
    path: want.path,
    trustPolicy: want.trustPolicyText,
    description: want.description,
    permissionsBoundary: want.permissionsBoundary,
    tags: want.tags,
  };
  const putPolicy: AwsChangeDetails = { kind: "aws-put-role-policy", roleName: want.roleName, policyName: want.policyName, document: want.policyText };
  const policy = change("create", "role-policy", rolePolicyResource(want.roleName), integration, want.identity, reason, putPolicy);
  policy.permissions = true;
  return [change("create", "role", roleResource(want.roleName), integration, want.identity, reason, createRole), policy];
}

/** Plans the update that brings the role's trust policy, boundary, tags, description and attached policies back to the file. */
function roleUpdate(integration: AwsIntegration, role: ObservedRole, want: DesiredRole): ResourceChange[] {
  const attributes: string[] = [];
  const diff: ResourceDiff = {};

  const trustMatches = role.trustPolicy.ok && canonicalPolicyJson(role.trustPolicy.value) === canonicalPolicyJson(want.trustPolicy);
  if (!trustMatches) {
    attributes.push(role.trustPolicy.ok ? "trust policy differs from the one wid writes" : `trust policy cannot be read (${role.trustPolicy.reason})`);
    if (role.trustPolicy.ok) diff.statements = diffPolicies(role.trustPolicy.value, want.trustPolicy);
  }

  let boundary: string | "remove" | null = null;
  if (role.permissionsBoundary !== want.permissionsBoundary) {
    boundary = want.permissionsBoundary ?? "remove";
    attributes.push(`permissions boundary: ${role.permissionsBoundary ?? "(none)"} -> ${want.permissionsBoundary ?? "(none)"}`);
  }

  const tagsToSet: AwsTag[] = want.tags.filter((tag) => role.tags[tag.Key] !== tag.Value);
  for (const tag of tagsToSet) {
    if (tag.Key !== DESCRIPTION_TAG) attributes.push(`tag ${tag.Key}: ${role.tags[tag.Key] ?? "(none)"} -> ${tag.Value}`);
  }
  const descriptionChanged = tagsToSet.some((tag) => tag.Key === DESCRIPTION_TAG);
  if (descriptionChanged) attributes.push(`description -> ${want.description === null ? "(none)" : JSON.stringify(want.description)}`);

  for (const policy of role.attachedPolicies) attributes.push(`managed policy ${policy} was attached outside wid and is detached`);

  if (attributes.length === 0) return [];
  const details: AwsChangeDetails = {
    kind: "aws-update-role",
    roleName: want.roleName,
    trustPolicy: trustMatches ? null : want.trustPolicyText,
    description: descriptionChanged ? (want.description ?? "") : null,
    permissionsBoundary: boundary,
    tagsToSet,
    tagsToRemove: [],
    detachPolicies: [...role.attachedPolicies],
  };
  const update = change("update", "role", roleResource(want.roleName), integration, want.identity, "the role differs from what wid writes", details);
  update.diff = { ...diff, attributes };
  return [update];
}

/**
 * Plans the deletion of inline policies added outside wid, then the inline policy back
 * to the file. The deletes go first because IAM limits all inline policies of a role
 * together: an added policy could otherwise keep the file's policy from fitting.
 */
function policyChanges(integration: AwsIntegration, role: ObservedRole, want: DesiredRole): ResourceChange[] {
  const changes: ResourceChange[] = [];
  for (const name of role.inlinePolicies.keys()) {
    if (name === want.policyName) continue;
    const details: AwsChangeDetails = { kind: "aws-delete-role-policy", roleName: want.roleName, policyName: name };
    changes.push(change("delete", "role-policy", rolePolicyResource(want.roleName, name), integration, want.identity, "an inline policy was added outside wid; the file is the role's only policy", details));
  }

  const put: AwsChangeDetails = { kind: "aws-put-role-policy", roleName: want.roleName, policyName: want.policyName, document: want.policyText };
  const resource = rolePolicyResource(want.roleName);
  const current = role.inlinePolicies.get(want.policyName);
  if (current === undefined) {
    const created = change("create", "role-policy", resource, integration, want.identity, `the role has no inline policy ${want.policyName}`, put);
    created.permissions = true;
    changes.push(created);
  } else if (!current.ok) {
    const updated = change("update", "role-policy", resource, integration, want.identity, `the installed policy cannot be read (${current.reason})`, put);
    updated.permissions = true;
    changes.push(updated);
  } else if (canonicalPolicyJson(current.value) !== canonicalPolicyJson(want.policy)) {
    const updated = change("update", "role-policy", resource, integration, want.identity, "the installed policy differs from the file", put);
    updated.permissions = true;
    updated.diff = { statements: diffPolicies(current.value, want.policy) };
    changes.push(updated);
  }
  return changes;
}

/** Plans the deletion of every inline policy, then of the role (detaching managed policies and leaving instance profiles first). */
function deleteChanges(integration: AwsIntegration, role: ObservedRole, identity: string, reason: string): ResourceChange[] {
  const changes: ResourceChange[] = [];
  for (const name of role.inlinePolicies.keys()) {
    const details: AwsChangeDetails = { kind: "aws-delete-role-policy", roleName: role.name, policyName: name };
    changes.push(change("delete", "role-policy", rolePolicyResource(role.name, name), integration, identity, reason, details));
  }
  const details: AwsChangeDetails = {
    kind: "aws-delete-role",
    roleName: role.name,
    detachPolicies: [...role.attachedPolicies],
    instanceProfiles: [...role.instanceProfiles],
  };
  changes.push(change("delete", "role", roleResource(role.name), integration, identity, reason, details));
  return changes;
}

/**
 * Roles that this integration owns (ownership tag, integration tag and this issuer) but
 * that no desired identity uses: the identity was removed, renamed, or moved, or the
 * prefix changed. Left out are roles of protected (invalid) identities, and roles of
 * another issuer or of an unknown one (see `roleIssuer`). So are the roles of identities
 * that moved to another integration of the same account under the same role name,
 * because that integration takes them over.
 */
function findRemovals(integration: AwsIntegration, desired: DesiredIntegration<"aws">, observation: AwsObservation, desiredRoleNames: ReadonlySet<string>): Map<string, IdentityRemoval> {
  const removals = new Map<string, IdentityRemoval>();
  const digest = issuerDigest(desired.issuer);
  const providerArn = oidcProviderArn(observation.partition, integration.aws.accountId, desired.issuer);
  for (const role of observation.roles.values()) {
    if (!isOwned(role.tags) || role.tags[INTEGRATION_TAG] !== integration.name || desiredRoleNames.has(role.name)) continue;
    if (roleIssuer(role, digest, providerArn) !== "this") continue;
    const identity = role.tags[IDENTITY_TAG] ?? role.name.slice(integration.aws.roleNamePrefix.length);
    if (desired.protectedNames.has(identity) || isTakenOver(integration, role, desired.elsewhere.get(identity), identity)) continue;
    removals.set(role.name, {
      identity,
      changes: deleteChanges(integration, role, identity, "wid owns the role, but no identity file of the integration uses it"),
      installedHash: observedPolicyHash(role.inlinePolicies.get(POLICY_NAME)),
      createdAt: role.createdAt,
      reference: { aws: { roleName: role.name, roleArn: role.arn } },
    });
  }
  return removals;
}

/** Tests whether `target`, the identity's integration now, uses this very role: same account and same role name. */
function isTakenOver(integration: AwsIntegration, role: ObservedRole, target: Integration | undefined, identity: string): boolean {
  return target?.provider === "aws" && target.aws.accountId === integration.aws.accountId && awsRoleName(target.aws, identity) === role.name;
}

function change(
  action: ChangeAction,
  type: ResourceType,
  resource: string,
  integration: AwsIntegration,
  identity: string | null,
  reason: string,
  details: AwsChangeDetails,
): ResourceChange {
  return { action, type, resource, provider: "aws", integration: integration.name, identity, reason, details };
}
