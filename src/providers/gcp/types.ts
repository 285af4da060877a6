/**
 * The facts the Google Cloud adapter observes and the payloads its planned changes carry. Plain data,
 * free of the API libraries, so that comparing stays pure.
 */

import type { IntegrationObservation } from "../types.js";

/** Custom role support of a permission, from `permissions.queryTestablePermissions`. */
export type CustomRoleSupport = "SUPPORTED" | "TESTING" | "NOT_SUPPORTED";

export interface ObservedPool {
  /** `projects/NUMBER/locations/global/workloadIdentityPools/ID`. */
  name: string;
  /** `ACTIVE` or `DELETED` (soft-deleted, restorable for 30 days). */
  state: string;
  displayName: string;
  description: string;
  disabled: boolean;
}

export interface ObservedProvider extends ObservedPool {
  attributeMapping: Readonly<Record<string, string>>;
  attributeCondition: string;
  issuerUri: string;
  allowedAudiences: readonly string[];
  /** The uploaded key set as Google returns it, or "" when Google fetches the issuer's JWKS. */
  jwksJson: string;
}

export interface ObservedRole {
  roleId: string;
  /** `projects/PROJECT_ID/roles/ROLE_ID`. */
  name: string;
  title: string;
  description: string;
  /** Sorted, without duplicates. */
  permissions: readonly string[];
  stage: string;
  /** Soft-deleted: restorable with undelete for 7 days, and its ID reserved for 37. */
  deleted: boolean;
  etag: string;
}

export interface ObservedCondition {
  expression: string;
  title?: string;
  description?: string;
}

export interface ObservedBinding {
  role: string;
  members: readonly string[];
  condition: ObservedCondition | null;
}

/**
 * Everything `compare` reads about one Google Cloud integration. `account` is the project
 * as Resource Manager reports it, `projects/NUMBER`; `fingerprint` covers the facts below
 * except the permission catalog.
 */
export interface GcpObservation extends IntegrationObservation {
  provider: "gcp";
  projectId: string;
  projectNumber: string;
  pool: ObservedPool | null;
  oidcProvider: ObservedProvider | null;
  /** Custom roles whose ID starts with wid's prefix, deleted ones included, by role ID. */
  roles: ReadonlyMap<string, ObservedRole>;
  /** Every custom role of the project, deleted ones included: they count toward the quota. */
  customRoleCount: number;
  /**
   * The bindings of the project policy that concern wid: those of roles with wid's
   * prefix, and those naming a principal of the integration's pool.
   */
  bindings: readonly ObservedBinding[];
  /** The permissions testable on the project, with their custom role support. */
  permissionCatalog: ReadonlyMap<string, CustomRoleSupport>;
  /**
   * The issuer's key set to upload as the provider's `jwksJson`, in canonical JSON, when
   * the integration sets `uploadJwks`. Null when it does not.
   */
  issuerJwks: string | null;
}

/** The pool fields wid writes. */
export interface PoolFields {
  displayName: string;
  description: string;
  disabled: boolean;
}

/** The provider fields wid writes. */
export interface ProviderFields extends PoolFields {
  attributeMapping: Record<string, string>;
  attributeCondition: string;
  oidc: { issuerUri: string; allowedAudiences: string[]; jwksJson: string };
}

/** The custom role fields wid writes. */
export interface RoleFields {
  title: string;
  description: string;
  includedPermissions: string[];
  stage: string;
}

/** A patch: the full desired fields and the `updateMask` paths that differ. */
export interface Patch<T> {
  fields: T;
  updateMask: string[];
}

/** The typed payload of each Google Cloud change: exactly what `apply` sends. */
export type GcpChangeDetails =
  | { kind: "gcp-create-pool"; parent: string; poolId: string; fields: PoolFields }
  | { kind: "gcp-undelete-pool"; name: string; patch: Patch<PoolFields> | null }
  | { kind: "gcp-update-pool"; name: string; patch: Patch<PoolFields> }
  | { kind: "gcp-create-provider"; parent: string; providerId: string; fields: ProviderFields }
  | { kind: "gcp-undelete-provider"; name: string; patch: Patch<ProviderFields> | null }
  | { kind: "gcp-update-provider"; name: string; patch: Patch<ProviderFields> }
  | { kind: "gcp-create-role"; parent: string; roleId: string; fields: RoleFields }
  | { kind: "gcp-undelete-role"; name: string; etag: string; patch: Patch<RoleFields> | null }
  | { kind: "gcp-update-role"; name: string; etag: string; patch: Patch<RoleFields> }
  | { kind: "gcp-delete-role"; name: string; etag: string }
  | { kind: "gcp-add-binding"; role: string; member: string }
  /**
   * Makes the role's bindings exactly one unconditional binding of `member`: members
   * added outside wid and conditional bindings of the role are removed. The policy is
   * read again right before the write, so what was added since the plan goes too;
   * `removeMembers` and `removeConditions` are what the plan saw.
   */
  | { kind: "gcp-set-binding"; role: string; member: string; removeMembers: string[]; removeConditions: ObservedCondition[] }
  | { kind: "gcp-remove-binding"; role: string; member: string };
