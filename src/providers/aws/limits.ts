/**
 * IAM's limits on what wid writes. IAM rejects a request that breaks one, but moto and
 * other emulators accept it, so wid checks them itself. It checks at plan time, so that
 * the plan shows the identity as rejected instead of a change that would fail, and
 * again before each write. Figures from the IAM User Guide, "IAM and AWS STS quotas" and
 * the API reference of CreateRole, PutRolePolicy, TagRole and CreateOpenIDConnectProvider.
 */

import type { AwsTag } from "./types.js";

export const IAM_LIMITS = {
  roleName: 64,
  rolePath: 512,
  roleDescription: 1000,
  policyName: 128,
  /** Inline policies of one role together, in characters without whitespace. */
  roleInlinePolicies: 10_240,
  /**
   * Trust policy of one role, in characters without whitespace. 2,048 is the default
   * quota; an account can raise it to 4,096, which wid does not know about.
   */
  trustPolicy: 2048,
  tagsPerResource: 50,
  tagKey: 128,
  tagValue: 256,
  oidcProviderUrl: 255,
  oidcClientId: 255,
} as const;

const ROLE_NAME = /^[\w+=,.@-]+$/;
const ROLE_PATH = /^\/([\u0021-\u007E]+\/)?$/;
const DESCRIPTION = /^[\t\n\r\u0020-\u007E\u00A1-\u00FF]*$/;
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** One broken limit: the config field it comes from and a sentence saying what to do. */
export interface LimitViolation {
  field: string;
  message: string;
}

/** What one role request writes, as checked against {@link IAM_LIMITS}. */
export interface RoleRequest {
  roleName: string;
  path: string;
  description: string | null;
  trustPolicy: string;
  policyName: string;
  policy: string;
  tags: readonly AwsTag[];
}

/** Checks a role and its inline policy against IAM's limits. Returns nothing when all hold. */
export function checkRoleLimits(request: RoleRequest): LimitViolation[] {
  const violations: LimitViolation[] = [];
  const add = (field: string, message: string): void => {
    violations.push({ field, message });
  };

  if (request.roleName.length > IAM_LIMITS.roleName) {
    add("metadata.name", `gives role name ${request.roleName} of ${request.roleName.length} characters, over IAM's limit of ${IAM_LIMITS.roleName}; shorten the name or the integration's roleNamePrefix`);
  } else if (!ROLE_NAME.test(request.roleName)) {
    add("metadata.name", `gives role name ${request.roleName}, but IAM allows only letters, digits and +=,.@_- in role names`);
  }
  if (request.path.length > IAM_LIMITS.rolePath || !ROLE_PATH.test(request.path)) {
    add("spec.aws.rolePath", `of the integration is ${JSON.stringify(request.path)}, but IAM requires '/' or '/' + printable ASCII + '/' of at most ${IAM_LIMITS.rolePath} characters`);
  }
  if (request.description !== null) {
    if (request.description.length > IAM_LIMITS.roleDescription) {
      add("metadata.description", `is ${request.description.length} characters, over IAM's limit of ${IAM_LIMITS.roleDescription} for a role description; shorten it`);
    } else if (!DESCRIPTION.test(request.description)) {
      add("metadata.description", "contains characters that IAM does not accept in a role description; use Latin-1 characters only");
    }
  }
  if (request.policyName.length > IAM_LIMITS.policyName) {
    add("spec.aws.policy", `has policy name ${request.policyName}, over IAM's limit of ${IAM_LIMITS.policyName} characters`);
  }

  const policySize = sizeWithoutWhitespace(request.policy);
  if (policySize > IAM_LIMITS.roleInlinePolicies) {
    add(
      "spec.aws.policy",
      `is ${policySize} characters without whitespace, over IAM's limit of ${IAM_LIMITS.roleInlinePolicies} for a role's inline policies; use wildcards or fewer statements, or split the permissions across identities`,
    );
  }
  const trustSize = sizeWithoutWhitespace(request.trustPolicy);
  if (trustSize > IAM_LIMITS.trustPolicy) {
    add("spec.issuer", `gives a trust policy of ${trustSize} characters without whitespace, over IAM's default limit of ${IAM_LIMITS.trustPolicy}; use a shorter issuer URL`);
  }

  violations.push(...checkTags(request.tags));
  return violations;
}

/** Checks tags against IAM's count, length and character limits. */
export function checkTags(tags: readonly AwsTag[]): LimitViolation[] {
  const violations: LimitViolation[] = [];
  if (tags.length > IAM_LIMITS.tagsPerResource) {
    violations.push({ field: "metadata", message: `needs ${tags.length} tags, over IAM's limit of ${IAM_LIMITS.tagsPerResource} per resource` });
  }
  for (const tag of tags) {
    if (tag.Key.length > IAM_LIMITS.tagKey || tag.Value.length > IAM_LIMITS.tagValue) {
      violations.push({ field: "metadata.name", message: `gives tag ${tag.Key}=${tag.Value}, over IAM's limits of ${IAM_LIMITS.tagKey} characters for a key and ${IAM_LIMITS.tagValue} for a value` });
    } else if (!TAG_TEXT.test(tag.Key) || !TAG_TEXT.test(tag.Value) || tag.Key.toLowerCase().startsWith("aws:")) {
      violations.push({ field: "metadata.name", message: `gives tag ${tag.Key}=${tag.Value}, but IAM allows only letters, digits, spaces and _.:/=+-@ in tags, and no key starting with aws:` });
    }
  }
  return violations;
}

/** Checks an OIDC provider request: URL and client ID lengths, and its tags. */
export function checkOidcProviderLimits(url: string, clientIds: readonly string[], tags: readonly AwsTag[]): LimitViolation[] {
  const violations: LimitViolation[] = [];
  if (url.length > IAM_LIMITS.oidcProviderUrl) {
    violations.push({ field: "spec.issuer", message: `is ${url.length} characters, over IAM's limit of ${IAM_LIMITS.oidcProviderUrl} for an OIDC provider URL; use a shorter issuer URL` });
  }
  for (const clientId of clientIds) {
    if (clientId.length > IAM_LIMITS.oidcClientId) {
      violations.push({ field: "spec.issuer", message: `client ID ${clientId} is over IAM's limit of ${IAM_LIMITS.oidcClientId} characters` });
    }
  }
  violations.push(...checkTags(tags));
  return violations;
}

/** IAM measures policy sizes without whitespace. */
export function sizeWithoutWhitespace(text: string): number {
  return text.replace(/\s/g, "").length;
}
