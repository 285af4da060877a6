import type { AwsIdentity, AwsIntegration, PolicyDocument } from "../../config/model.js";
import { awsRoleName } from "../../config/names.js";
import { AWS_AUDIENCE } from "../../credentials/layout.js";
import { issuerDigest } from "../ownership.js";
import { POLICY_NAME } from "./resources.js";
import { roleTags, OWNER_TAG } from "./tags.js";
import { oidcProviderArn, providerUrl, trustPolicy } from "./trust.js";
import type { AwsTag } from "./types.js";

/** Everything wid writes for one identity's role, derived from the config only. */
export interface DesiredRole {
  identity: string;
  roleName: string;
  path: string;
  arn: string;
  /** ARN of the OIDC provider the trust policy names. */
  providerArn: string;
  /** Value of the issuer tag: `issuerDigest(Settings.issuer)`. */
  issuerDigest: string;
  trustPolicy: PolicyDocument;
  /** `trustPolicy` as the compact JSON text that is sent. */
  trustPolicyText: string;
  description: string | null;
  permissionsBoundary: string | null;
  tags: AwsTag[];
  policyName: string;
  policy: PolicyDocument;
  /** `policy` as the compact JSON text that is sent. */
  policyText: string;
}

/** What wid writes for the integration's OIDC provider. */
export interface DesiredOidcProvider {
  arn: string;
  /** The URL as sent to `CreateOpenIDConnectProvider`, with `https://`. */
  url: string;
  clientIds: string[];
  tags: AwsTag[];
}

/** The role of `identity` in `integration`, trusting the OIDC provider for `issuer`. */
export function desiredRole(integration: AwsIntegration, identity: AwsIdentity, issuer: string, partition: string): DesiredRole {
  const roleName = awsRoleName(integration.aws, identity.name);
  const providerArn = oidcProviderArn(partition, integration.aws.accountId, issuer);
  const trust = trustPolicy(providerArn, issuer, identity.name);
  const description = identity.description ?? null;
  return {
    identity: identity.name,
    roleName,
    path: integration.aws.rolePath,
    arn: `arn:${partition}:iam::${integration.aws.accountId}:role${integration.aws.rolePath}${roleName}`,
    providerArn,
    issuerDigest: issuerDigest(issuer),
    trustPolicy: trust,
    trustPolicyText: JSON.stringify(trust),
    description,
    permissionsBoundary: integration.aws.permissionsBoundary ?? null,
    tags: roleTags(integration.name, identity.name, description, issuerDigest(issuer)),
    policyName: POLICY_NAME,
    policy: identity.aws.policy,
    policyText: JSON.stringify(identity.aws.policy),
  };
}

/** The OIDC provider for `issuer` in the integration's account, trusted by STS. */
export function desiredOidcProvider(integration: AwsIntegration, issuer: string, partition: string): DesiredOidcProvider {
  return {
    arn: oidcProviderArn(partition, integration.aws.accountId, issuer),
    url: `https://${providerUrl(issuer)}`,
    clientIds: [AWS_AUDIENCE],
    tags: [OWNER_TAG],
  };
}
