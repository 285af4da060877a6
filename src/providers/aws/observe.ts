import type { RoleDetail } from "@aws-sdk/client-iam";
import { GetAccountAuthorizationDetailsCommand, GetOpenIDConnectProviderCommand } from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import type { Logger } from "pino";

import { compareBytes } from "../../text/order.js";
import type { AwsIntegration } from "../../config/model.js";
import { hashText } from "../../plan/hash.js";
import { CloudError } from "../types.js";
import { stableStringify } from "../../config/aws-policy/canonical.js";
import type { AwsClients } from "./client.js";
import type { DecodedDocument } from "./decode.js";
import { decodePolicyDocument } from "./decode.js";
import { awsErrorCode, convertAwsError } from "./errors.js";
import { INTEGRATION_TAG, tagRecord } from "./tags.js";
import { oidcProviderArn } from "./trust.js";
import type { AwsObservation, ObservedOidcProvider, ObservedRole } from "./types.js";

/** Roles per page of GetAccountAuthorizationDetails: IAM's maximum. */
const PAGE_SIZE = 1000;

/** The caller's account and partition, from STS GetCallerIdentity. */
export interface CallerIdentity {
  account: string;
  partition: string;
}

/**
 * Reads the caller identity and checks it against the integration's account. Throws a
 * `wrong-account` {@link CloudError} when they differ, before anything else is read or written.
 */
export async function checkCallerAccount(clients: AwsClients, integration: AwsIntegration): Promise<CallerIdentity> {
  const call = "sts:GetCallerIdentity";
  let account: string | undefined;
  let arn: string | undefined;
  try {
    const response = await clients.sts.send(new GetCallerIdentityCommand({}));
    account = response.Account;
    arn = response.Arn;
  } catch (error) {
    throw convertAwsError(error, { integration: integration.name, call });
  }

  if (account !== integration.aws.accountId) {
    throw new CloudError(
      `the AWS credentials act in account ${account ?? "(unknown)"}, but integration ${integration.name} is account ${integration.aws.accountId}; wid changes nothing in it. Use credentials for account ${integration.aws.accountId}, or fix spec.aws.accountId`,
      { kind: "wrong-account", provider: "aws", integration: integration.name, call },
    );
  }
  return { account, partition: arn?.split(":")[1] ?? "aws" };
}

/**
 * Observes an integration: the caller's account (checked first), every role that
 * concerns the integration with its trust policy, inline policies and tags, and the
 * OIDC provider for the issuer. Roles come from GetAccountAuthorizationDetails with
 * Filter Role, one call per 1,000 roles in the account, so a reconcile makes no
 * per-role GetRole or GetRolePolicy call. That call has no path filter, and a role
 * name is unique across paths, so roles of every path are read.
 */
export async function observeAws(clients: AwsClients, integration: AwsIntegration, issuer: string, logger: Logger): Promise<AwsObservation> {
  const caller = await checkCallerAccount(clients, integration);
  const [roles, oidcProvider] = await Promise.all([
    readRoles(clients, integration),
    readOidcProvider(clients, integration, oidcProviderArn(caller.partition, caller.account, issuer)),
  ]);
  logger.debug({ integration: integration.name, roles: roles.size, oidcProvider: oidcProvider !== null }, "aws integration observed");

  const observation: Omit<AwsObservation, "fingerprint"> = {
    provider: "aws",
    integration: integration.name,
    account: caller.account,
    partition: caller.partition,
    oidcProvider,
    roles,
  };
  return { ...observation, fingerprint: fingerprint(observation) };
}

async function readRoles(clients: AwsClients, integration: AwsIntegration): Promise<Map<string, ObservedRole>> {
  const roles = new Map<string, ObservedRole>();
  let marker: string | undefined;
  do {
    let page;
    try {
      page = await clients.iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ["Role"], MaxItems: PAGE_SIZE, Marker: marker }));
    } catch (error) {
      throw convertAwsError(error, { integration: integration.name, call: "iam:GetAccountAuthorizationDetails" });
    }
    for (const detail of page.RoleDetailList ?? []) {
      const role = observedRole(detail);
      if (role === undefined) continue;
      if (role.name.startsWith(integration.aws.roleNamePrefix) || role.tags[INTEGRATION_TAG] === integration.name) roles.set(role.name, role);
    }
    marker = page.IsTruncated === true ? page.Marker : undefined;
  } while (marker !== undefined);
  return roles;
}

function observedRole(detail: RoleDetail): ObservedRole | undefined {
  if (detail.RoleName === undefined) return undefined;
  const inlinePolicies = new Map<string, DecodedDocument>();
  for (const policy of detail.RolePolicyList ?? []) {
    if (policy.PolicyName !== undefined) inlinePolicies.set(policy.PolicyName, decodePolicyDocument(policy.PolicyDocument));
  }
  return {
    name: detail.RoleName,
    path: detail.Path ?? "/",
    arn: detail.Arn ?? "",
    roleId: detail.RoleId ?? "",
    createdAt: detail.CreateDate?.toISOString() ?? null,
    trustPolicy: decodePolicyDocument(detail.AssumeRolePolicyDocument),
    inlinePolicies,
    attachedPolicies: (detail.AttachedManagedPolicies ?? []).flatMap((policy) => (policy.PolicyArn === undefined ? [] : [policy.PolicyArn])),
    permissionsBoundary: detail.PermissionsBoundary?.PermissionsBoundaryArn ?? null,
    tags: tagRecord(detail.Tags),
    instanceProfiles: (detail.InstanceProfileList ?? []).flatMap((profile) => (profile.InstanceProfileName === undefined ? [] : [profile.InstanceProfileName])),
  };
}

/** Reads the OIDC provider by its ARN, derived from the issuer, so that no list call is needed. */
async function readOidcProvider(clients: AwsClients, integration: AwsIntegration, arn: string): Promise<ObservedOidcProvider | null> {
  try {
    const response = await clients.iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
    return {
      arn,
      url: response.Url ?? "",
      clientIds: response.ClientIDList ?? [],
      tags: tagRecord(response.Tags),
      createdAt: response.CreateDate?.toISOString() ?? null,
    };
  } catch (error) {
    if (awsErrorCode(error) === "NoSuchEntity") return null;
    throw convertAwsError(error, { integration: integration.name, call: "iam:GetOpenIDConnectProvider", resource: arn });
  }
}

/**
 * sha256 of the observed facts that comparison reads. Documents enter as the text IAM
 * returned: IAM returns a stored document the same way on every read, so an unchanged
 * account gives the same fingerprint without canonicalizing every document twice.
 */
function fingerprint(observation: Omit<AwsObservation, "fingerprint">): string {
  const roles = [...observation.roles.values()]
    .sort((a, b) => compareBytes(a.name, b.name))
    .map((role) => [
      role.name,
      role.path,
      role.arn,
      role.roleId,
      role.createdAt,
      role.trustPolicy.text,
      [...role.inlinePolicies].map(([name, decoded]) => [name, decoded.text]).sort(),
      [...role.attachedPolicies].sort(),
      role.permissionsBoundary,
      role.tags,
      [...role.instanceProfiles].sort(),
    ]);
  const provider = observation.oidcProvider === null ? null : { ...observation.oidcProvider, clientIds: [...observation.oidcProvider.clientIds].sort() };
  return hashText(stableStringify({ account: observation.account, partition: observation.partition, oidcProvider: provider, roles }));
}
