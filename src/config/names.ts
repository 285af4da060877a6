/**
 * Cloud names derived from identity names. They are part of the contract with the
 * clouds: changing a derivation renames every resource wid manages.
 */

import type { AwsIntegrationSpec } from "./model.js";

/** Maximum length of an IAM role name. */
export const MAX_AWS_ROLE_NAME_LENGTH = 64;

/** Length limits of a Google Cloud custom role ID, which allows `[a-zA-Z0-9_.]`. */
export const MIN_GCP_ROLE_ID_LENGTH = 3;
export const MAX_GCP_ROLE_ID_LENGTH = 64;

/** Prefix of the custom role IDs wid creates in Google Cloud. */
export const GCP_ROLE_ID_PREFIX = "wid_";

/** Maximum byte length of a token subject, the limit of `google.subject`. */
export const MAX_SUBJECT_BYTES = 127;

/** The role name of an identity: the integration's prefix followed by the identity name. */
export function awsRoleName(integration: Pick<AwsIntegrationSpec, "roleNamePrefix">, identityName: string): string {
  return `${integration.roleNamePrefix}${identityName}`;
}

/**
 * The custom role ID of an identity: {@link GCP_ROLE_ID_PREFIX} followed by the name with
 * `-` replaced by `_`, because role IDs do not allow `-`. Names contain no `_`, so two
 * names never map to the same ID.
 */
export function gcpRoleId(identityName: string): string {
  return `${GCP_ROLE_ID_PREFIX}${identityName.replaceAll("-", "_")}`;
}

/** The `sub` claim of the tokens of an identity, and the subject its cloud trust names. */
export function tokenSubject(identityName: string): string {
  return `identity:${identityName}`;
}
