/** The Google Cloud resources wid writes for an integration and its identities, derived from the config only. */

import type { GcpIdentity, GcpIntegration } from "../../config/model.js";
import { gcpRoleId, tokenSubject } from "../../config/names.js";
import { gcpPrincipal, gcpProviderName, gcpRoleName } from "../../credentials/layout.js";
import { canonicalPermissions } from "../../plan/hash.js";
import { displayName, ownedDescription, roleTitle } from "./ownership.js";
import type { PoolFields, ProviderFields, RoleFields } from "./types.js";

/** Maps the token's `sub` claim, `identity:NAME`, to the principal's subject. */
export const ATTRIBUTE_MAPPING: Readonly<Record<string, string>> = { "google.subject": "assertion.sub" };

/**
 * Admits only tokens whose subject is a wid identity, so that a token the issuer signs
 * for anything else is never exchanged in this pool.
 */
export const ATTRIBUTE_CONDITION = `assertion.sub.startsWith(${JSON.stringify(tokenSubject(""))})`;

/** The launch stage of wid's custom roles. */
export const ROLE_STAGE = "GA";

export interface DesiredPool {
  parent: string;
  poolId: string;
  name: string;
  fields: PoolFields;
}

export interface DesiredProvider {
  parent: string;
  providerId: string;
  name: string;
  fields: ProviderFields;
}

export interface DesiredRole {
  identity: string;
  parent: string;
  roleId: string;
  name: string;
  fields: RoleFields;
  /** The `principal://` member bound to the role. */
  member: string;
}

/** Returns the resource name of the integration's workload identity pool. */
export function poolName(integration: GcpIntegration): string {
  return `projects/${integration.gcp.projectNumber}/locations/global/workloadIdentityPools/${integration.gcp.poolId}`;
}

/** Derives the integration's workload identity pool, marked as owned for `issuer`. */
export function desiredPool(integration: GcpIntegration, issuer: string): DesiredPool {
  const name = poolName(integration);
  return {
    parent: name.slice(0, name.lastIndexOf("/workloadIdentityPools/")),
    poolId: integration.gcp.poolId,
    name,
    fields: {
      displayName: displayName(`wid ${integration.name}`),
      description: ownedDescription(integration.name, issuer, "Workload identities of wid's issuer."),
      disabled: false,
    },
  };
}

/**
 * Derives the pool's OIDC provider trusting `issuer` with the default audience (the provider's
 * own resource name). `jwks` is the key set to upload, or null to let Google fetch the
 * issuer's published JWKS.
 */
export function desiredProvider(integration: GcpIntegration, issuer: string, jwks: string | null): DesiredProvider {
  const name = gcpProviderName(integration);
  return {
    parent: name.slice(0, name.lastIndexOf("/providers/")),
    providerId: integration.gcp.providerId,
    name,
    fields: {
      displayName: displayName(`wid ${integration.name}`),
      description: ownedDescription(integration.name, issuer, `Trusts the wid issuer ${issuer}.`),
      disabled: false,
      attributeMapping: { ...ATTRIBUTE_MAPPING },
      attributeCondition: ATTRIBUTE_CONDITION,
      oidc: { issuerUri: issuer, allowedAudiences: [], jwksJson: jwks ?? "" },
    },
  };
}

/** Derives the custom role of an identity, marked as owned for `issuer`, with its permissions and the principal bound to it. */
export function desiredRole(integration: GcpIntegration, identity: GcpIdentity, issuer: string): DesiredRole {
  const permissions = canonicalPermissions(identity.gcp.permissions);
  return {
    identity: identity.name,
    parent: `projects/${integration.gcp.projectId}`,
    roleId: gcpRoleId(identity.name),
    name: gcpRoleName(integration, identity.name),
    fields: {
      title: roleTitle(identity.name),
      description: ownedDescription(integration.name, issuer, identity.description),
      includedPermissions: permissions === "" ? [] : permissions.split("\n"),
      stage: ROLE_STAGE,
    },
    member: gcpPrincipal(integration, identity.name),
  };
}

/** Returns the prefix of every principal of the integration's pool. */
export function principalPrefix(integration: GcpIntegration): string {
  const { projectNumber, poolId } = integration.gcp;
  return `principal://iam.googleapis.com/projects/${projectNumber}/locations/global/workloadIdentityPools/${poolId}/`;
}

/** Names of Google Cloud resources in plans and outcomes, as `TYPE/NAME`, the same as offline plans. */
export const resourceNames = {
  pool: (integration: GcpIntegration): string => `workload-identity-pool/${integration.gcp.poolId}`,
  provider: (integration: GcpIntegration): string => `workload-identity-pool-provider/${integration.gcp.providerId}`,
  role: (roleId: string): string => `custom-role/${roleId}`,
  binding: (roleId: string): string => `role-binding/${roleId}`,
};
