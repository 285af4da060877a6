import type { PolicyDocument } from "../../config/model.js";
import { tokenSubject } from "../../config/names.js";
import { AWS_AUDIENCE } from "../../credentials/layout.js";

/**
 * The URL of the issuer as IAM stores an OIDC provider's URL and names its condition
 * keys: host and path, without `https://` and without a trailing slash, such as
 * `oidc.example.com` or `auth.example.com/tenant`.
 */
export function providerUrl(issuer: string): string {
  return issuer.replace(/^https:\/\//, "").replace(/\/+$/, "");
}

/** ARN of the IAM OIDC provider for `issuer`. IAM allows one provider per URL per account. */
export function oidcProviderArn(partition: string, accountId: string, issuer: string): string {
  return `arn:${partition}:iam::${accountId}:oidc-provider/${providerUrl(issuer)}`;
}

/**
 * The trust policy of an identity's role: only `sts:AssumeRoleWithWebIdentity`, only
 * from the integration's OIDC provider, and `StringEquals` on both the audience and
 * the subject `identity:NAME`. Never `StringLike` and never a wildcard, so a token of
 * one identity cannot assume the role of another.
 */
export function trustPolicy(providerArn: string, issuer: string, identityName: string): PolicyDocument {
  const url = providerUrl(issuer);
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: providerArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${url}:aud`]: AWS_AUDIENCE,
            [`${url}:sub`]: tokenSubject(identityName),
          },
        },
      },
    ],
  };
}
