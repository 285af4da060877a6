/**
 * What the AWS adapter observes and what its planned changes carry. Plain data, free
 * of the SDK, so that planning stays pure.
 */

import type { IntegrationObservation } from "../types.js";
import type { DecodedDocument } from "./decode.js";

export interface AwsTag {
  Key: string;
  Value: string;
}

/** One IAM role as `GetAccountAuthorizationDetails` returns it, with documents decoded. */
export interface ObservedRole {
  name: string;
  path: string;
  arn: string;
  roleId: string;
  /** ISO 8601, or null when IAM did not return it. */
  createdAt: string | null;
  trustPolicy: DecodedDocument;
  /** Inline policies by name. */
  inlinePolicies: ReadonlyMap<string, DecodedDocument>;
  /** ARNs of attached managed policies. */
  attachedPolicies: readonly string[];
  permissionsBoundary: string | null;
  tags: Readonly<Record<string, string>>;
  /** Names of instance profiles that contain the role; IAM refuses to delete it until they are removed. */
  instanceProfiles: readonly string[];
}

export interface ObservedOidcProvider {
  arn: string;
  /** The URL as IAM stores it: host and path, without `https://`. */
  url: string;
  clientIds: readonly string[];
  tags: Readonly<Record<string, string>>;
  createdAt: string | null;
}

export interface AwsObservation extends IntegrationObservation {
  provider: "aws";
  /** The partition of the caller, such as `aws` or `aws-us-gov`, taken from its ARN. */
  partition: string;
  /** The IAM OIDC provider for the issuer, or null when there is none. */
  oidcProvider: ObservedOidcProvider | null;
  /**
   * Roles that concern the integration: every role whose name starts with its
   * `roleNamePrefix`, and every role tagged with its name. Keyed by role name.
   */
  roles: ReadonlyMap<string, ObservedRole>;
}

/** The typed payload of each AWS change: exactly what `apply` sends. */
export type AwsChangeDetails =
  | {
      kind: "aws-create-oidc-provider";
      /** The ARN IAM gives the provider, derived from the account and URL. */
      arn: string;
      url: string;
      clientIds: string[];
      tags: AwsTag[];
    }
  | { kind: "aws-update-oidc-provider"; arn: string; addClientIds: string[]; tags: AwsTag[] }
  | {
      kind: "aws-create-role";
      roleName: string;
      path: string;
      /** The trust policy as JSON text. */
      trustPolicy: string;
      description: string | null;
      permissionsBoundary: string | null;
      tags: AwsTag[];
    }
  | {
      kind: "aws-update-role";
      roleName: string;
      /** New trust policy as JSON text, or null to keep it. */
      trustPolicy: string | null;
      /** New description, or null to keep it. */
      description: string | null;
      /** New boundary ARN, `remove` to delete it, or null to keep it. */
      permissionsBoundary: string | "remove" | null;
      tagsToSet: AwsTag[];
      tagsToRemove: string[];
      /** Managed policies attached outside wid, to detach. */
      detachPolicies: string[];
    }
  | {
      kind: "aws-replace-role";
      roleName: string;
      /** The role as observed, put back when the replacement fails. */
      previous: RoleSnapshot;
      /** The role to create under its new path. */
      create: Omit<Extract<AwsChangeDetails, { kind: "aws-create-role" }>, "kind">;
      /** The inline policy to put on the new role. */
      policy: { policyName: string; document: string };
    }
  | { kind: "aws-put-role-policy"; roleName: string; policyName: string; document: string }
  | { kind: "aws-delete-role-policy"; roleName: string; policyName: string }
  | {
      kind: "aws-delete-role";
      roleName: string;
      /** Attached managed policies and instance profiles that must go first. */
      detachPolicies: string[];
      instanceProfiles: string[];
    };

/**
 * What a role held when it was observed, as the JSON text to send back: enough to
 * create it again when a replacement fails. IAM's account details omit the description
 * and the maximum session duration, so a restored role gets the file's description and
 * IAM's default duration. The trust policy is not kept, because a restored role gets the
 * one wid writes.
 */
export interface RoleSnapshot {
  path: string;
  arn: string;
  /** True when the observed trust policy is the one wid writes. Otherwise the replacement fixes it first. */
  trustMatches: boolean;
  permissionsBoundary: string | null;
  tags: AwsTag[];
  /** Every inline policy; `document` is null for one that could not be read, which is deleted but cannot be put back. */
  inlinePolicies: { policyName: string; document: string | null }[];
  attachedPolicies: string[];
  instanceProfiles: string[];
}
