/**
 * The plan: typed cloud changes computed without side effects. `wid plan` prints it,
 * `wid apply` consumes it, and both share every step up to the first write.
 */

import type { Provider } from "../config/model.js";
import type { ChangeDetails, IdentityReference } from "../providers/types.js";
import type { IdentityState, WorkloadStatus } from "../status/types.js";

export type ChangeAction = "create" | "update" | "delete";

/**
 * Kinds of cloud resources wid manages.
 * AWS: the account's IAM OIDC provider, a role with its trust policy, and its inline policy.
 * GCP: the workload identity pool, its OIDC provider, a custom role, and its project binding.
 */
export const RESOURCE_TYPES = ["oidc-provider", "role", "role-policy", "workload-identity-pool", "workload-identity-pool-provider", "custom-role", "role-binding"] as const;
/** One of {@link RESOURCE_TYPES}. */
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** Actions and resources added to and removed from one policy statement. */
export interface StatementDiff {
  /** Statement index in the desired policy, or in the installed one for a removed statement. */
  statement: number;
  sid?: string;
  change: "added" | "removed" | "changed";
  actionsAdded: string[];
  actionsRemoved: string[];
  resourcesAdded: string[];
  resourcesRemoved: string[];
  /** Other differences (Effect, Condition, NotAction, NotResource), as short sentences. */
  other: string[];
}

/** A structured difference between the installed and the desired state of a resource. */
export interface ResourceDiff {
  /** Policy statements that differ (AWS). */
  statements?: StatementDiff[];
  /** Permissions added and removed (GCP). */
  permissionsAdded?: string[];
  permissionsRemoved?: string[];
  /** Other differing attributes, such as `description` or `trust policy`, as short sentences. */
  attributes?: string[];
}

export interface ResourceChange {
  action: ChangeAction;
  type: ResourceType;
  /** `TYPE/NAME`, such as `role/wid-s3-access`; unique within an integration. */
  resource: string;
  provider: Provider;
  integration: string;
  /** The identity the resource belongs to, or null for integration-wide resources. */
  identity: string | null;
  /** Why the change is planned, as a sentence. */
  reason: string;
  diff?: ResourceDiff;
  /** True when the change writes the identity's permissions, so the installed hash becomes the desired one. */
  permissions?: boolean;
  /** The provider-specific payload that apply sends. Absent in offline plans, which cannot be applied. */
  details?: ChangeDetails;
  /**
   * Makes the change wait for another identity's changes: apply makes it only after
   * every change of `identity` in `integration` succeeded in the same apply, and
   * reports it failed, without trying it, otherwise. Set on the delete of a role that an
   * identity no longer uses because its role now has another name or integration, so
   * that the old role goes only once its replacement exists.
   */
  onlyAfter?: { integration: string; identity: string };
}

/** An identity that the plan leaves alone, and why. */
export interface IdentityNote {
  identity: string;
  /**
   * Null only for an invalid identity whose document has errors before its provider can
   * be read, and that no previous status records.
   */
  provider: Provider | null;
  integration: string;
  resource?: string;
  message: string;
}

export interface PlanSummary {
  create: number;
  update: number;
  delete: number;
}

export interface IdentityPlanState {
  state: IdentityState;
  message?: string;
  /** The identity's integration (online plans only). */
  integration?: string;
  /** The state of the cloud before apply (online plans only). */
  observed?: {
    /** Hash of the permissions in the cloud, or null when none are installed. */
    installedHash: string | null;
    createdAt: string | null;
    reference: IdentityReference;
  };
  /** Every resource of the identity once installed, as `TYPE/NAME` (online plans only). */
  resources?: string[];
}

/**
 * What the plan found for an integration's own resources.
 * - `present`, `absent`: the OIDC provider (or pool) exists, or not.
 * - `conflict`: one of the same name exists that wid does not own.
 * - `rejected`: the settings break a cloud limit.
 * - `failed`: the cloud could not be read (unreachable, no credentials, wrong account).
 * - `unsupported`: this build has no adapter for the provider.
 * - `unknown`: an offline plan, which cannot tell.
 */
export interface IntegrationPlanState {
  provider: Provider;
  state: "present" | "absent" | "conflict" | "rejected" | "failed" | "unsupported" | "unknown";
  /** ARN or resource name of the OIDC provider, when known. */
  reference: string | null;
  message?: string;
  /** The account or project the credentials act in (online plans only). */
  account?: string;
  resources?: string[];
}

/** An integration the plan did not compare with the cloud, and why. */
export interface IntegrationNote {
  integration: string;
  provider: Provider;
  message: string;
}

export interface Plan {
  /** `online` when the cloud was read, `offline` when the status file stood in for it. */
  mode: "online" | "offline";
  /** The config commit planned, when known. */
  revision: string | null;
  summary: PlanSummary;
  /** Changes that apply will make. */
  changes: ResourceChange[];
  /** Changes that wait for `install: true` (or for an apply when suspended). */
  pending: ResourceChange[];
  conflicts: IdentityNote[];
  orphans: IdentityNote[];
  invalid: IdentityNote[];
  /** Integrations that could not be planned, such as an unreachable cloud. */
  failedIntegrations: IntegrationNote[];
  /** Integrations of a provider this build does not support yet; their identities are left as they are. */
  skippedIntegrations: IntegrationNote[];
  integrations: Record<string, IntegrationPlanState>;
  /** The state each identity will have after apply. */
  identities: Record<string, IdentityPlanState>;
  /** The workload mapping, in the status file's shape. */
  workloads: Record<string, WorkloadStatus>;
}

export function summarize(changes: readonly ResourceChange[]): PlanSummary {
  const summary: PlanSummary = { create: 0, update: 0, delete: 0 };
  for (const change of changes) summary[change.action]++;
  return summary;
}
