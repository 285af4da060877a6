import path from "node:path";

import type { AwsIntegration, GcpIntegration, Integration, Provider } from "../config/model.js";
import { awsRoleName, gcpRoleId, tokenSubject } from "../config/names.js";
import type { InjectedFile } from "../status/types.js";

/** The audience of tokens for AWS STS. */
export const AWS_AUDIENCE = "sts.amazonaws.com";

/** Default paths of the files injected into a container. */
export const DEFAULT_PATHS = {
  awsToken: "/awstoken",
  gcpToken: "/gcptoken",
  gcpCredentialConfig: "/gcp-credentials.json",
} as const;

/** File names of the injected files inside a credentials folder, equal to the default paths' names. */
export const FILE_NAMES = {
  awsToken: "awstoken",
  gcpToken: "gcptoken",
  gcpCredentialConfig: "gcp-credentials.json",
} as const;

/** Google's token exchange endpoint, the default `token_url` of the credential configuration. */
export const GOOGLE_STS_TOKEN_URL = "https://sts.googleapis.com/v1/token";

/** Paths of the injected files as the workload sees them. */
export type CredentialPaths = { awsToken: string; gcpToken: string; gcpCredentialConfig: string };

/** Options of the credential layout beyond the paths. */
export interface LayoutOptions {
  /** `token_url` of the Google credential configuration. Default {@link GOOGLE_STS_TOKEN_URL}; tests point it at a local server. */
  gcpTokenUrl?: string;
  /**
   * The role's ARN as the cloud reported it, which carries the account's partition
   * (`aws`, `aws-us-gov`, `aws-cn`). Default: {@link awsRoleArn}, in the `aws` partition.
   */
  awsRoleArn?: string;
}

/** Returns the paths of the injected files in folder `dir`, with the file names of {@link FILE_NAMES}. */
export function credentialPathsIn(dir: string): CredentialPaths {
  return {
    awsToken: path.posix.join(dir, FILE_NAMES.awsToken),
    gcpToken: path.posix.join(dir, FILE_NAMES.gcpToken),
    gcpCredentialConfig: path.posix.join(dir, FILE_NAMES.gcpCredentialConfig),
  };
}

/** The environment variables and files a workload needs for one identity. */
export interface CredentialLayout {
  env: Record<string, string>;
  files: InjectedFile[];
}

/**
 * ARN of the role of an identity, computed from the config in the `aws` partition. Use
 * the ARN that the cloud reports wherever one is known, because an account in another
 * partition has roles named `arn:aws-us-gov:…` or `arn:aws-cn:…`.
 */
export function awsRoleArn(integration: AwsIntegration, identityName: string): string {
  return `arn:aws:iam::${integration.aws.accountId}:role${integration.aws.rolePath}${awsRoleName(integration.aws, identityName)}`;
}

/** Resource name of the pool provider, without the `//iam.googleapis.com/` prefix. */
export function gcpProviderName(integration: GcpIntegration): string {
  const { projectNumber, poolId, providerId } = integration.gcp;
  return `projects/${projectNumber}/locations/global/workloadIdentityPools/${poolId}/providers/${providerId}`;
}

/** The audience of tokens for Google STS: the full resource name of the pool provider. */
export function gcpAudience(integration: GcpIntegration): string {
  return `//iam.googleapis.com/${gcpProviderName(integration)}`;
}

/** The principal that an identity's custom role is bound to. */
export function gcpPrincipal(integration: GcpIntegration, identityName: string): string {
  const { projectNumber, poolId } = integration.gcp;
  return `principal://iam.googleapis.com/projects/${projectNumber}/locations/global/workloadIdentityPools/${poolId}/subject/${tokenSubject(identityName)}`;
}

/** Resource name of the custom role of an identity. */
export function gcpRoleName(integration: GcpIntegration, identityName: string): string {
  return `projects/${integration.gcp.projectId}/roles/${gcpRoleId(identityName)}`;
}

/**
 * The `external_account` credential configuration that Google's client libraries read
 * from GOOGLE_APPLICATION_CREDENTIALS, for tokens of `audience` (see {@link gcpAudience}).
 * It points at the token file that wid refreshes.
 * The library sends the file's text verbatim, so the file contains the token with no
 * trailing newline.
 */
export function gcpCredentialConfig(audience: string, tokenPath: string, options: LayoutOptions = {}): Record<string, unknown> {
  return {
    type: "external_account",
    audience,
    subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
    token_url: options.gcpTokenUrl ?? GOOGLE_STS_TOKEN_URL,
    credential_source: { file: tokenPath, format: { type: "text" } },
  };
}

/** Returns the audience of an integration's tokens: {@link AWS_AUDIENCE}, or the pool provider for Google Cloud. */
export function tokenAudience(integration: Integration): string {
  return integration.provider === "aws" ? AWS_AUDIENCE : gcpAudience(integration);
}

/**
 * The cloud facts that an identity's credentials name: the role for AWS, and the project
 * and pool provider for Google Cloud.
 */
export type CredentialCloud = { provider: "aws"; roleArn: string } | { provider: "gcp"; projectId: string; audience: string };

/** Returns the cloud facts of an identity of `integration`; the AWS role ARN is `options.awsRoleArn` when given. */
export function credentialCloud(integration: Integration, identityName: string, options: LayoutOptions = {}): CredentialCloud {
  if (integration.provider === "aws") return { provider: "aws", roleArn: options.awsRoleArn ?? awsRoleArn(integration, identityName) };
  return { provider: "gcp", projectId: integration.gcp.projectId, audience: gcpAudience(integration) };
}

/**
 * The credential layout of one identity for a workload: environment variables and files,
 * with the paths the workload sees. Default paths: {@link DEFAULT_PATHS}.
 */
export function credentialLayout(integration: Integration, identityName: string, paths: CredentialPaths = DEFAULT_PATHS, options: LayoutOptions = {}): CredentialLayout {
  return layoutFor(credentialCloud(integration, identityName, options), paths, options);
}

/** Returns the credential layout for the cloud facts `cloud`, with the paths inside the workload. */
export function layoutFor(cloud: CredentialCloud, paths: CredentialPaths = DEFAULT_PATHS, options: LayoutOptions = {}): CredentialLayout {
  if (cloud.provider === "aws") {
    return {
      env: { AWS_ROLE_ARN: cloud.roleArn, AWS_WEB_IDENTITY_TOKEN_FILE: paths.awsToken },
      files: [{ path: paths.awsToken, kind: "token", audience: AWS_AUDIENCE }],
    };
  }
  return {
    env: { GOOGLE_APPLICATION_CREDENTIALS: paths.gcpCredentialConfig, GOOGLE_CLOUD_PROJECT: cloud.projectId },
    files: [
      { path: paths.gcpToken, kind: "token", audience: cloud.audience },
      { path: paths.gcpCredentialConfig, kind: "credential-config", content: `${JSON.stringify(gcpCredentialConfig(cloud.audience, paths.gcpToken, options), null, 2)}\n` },
    ],
  };
}

/**
 * Reads the cloud facts back from a mapping entry of the status file: `AWS_ROLE_ARN` for
 * AWS, `GOOGLE_CLOUD_PROJECT` and the token file's audience for Google Cloud. Returns
 * undefined when the entry lacks one of them.
 */
export function recordedCloud(provider: Provider, env: Readonly<Record<string, string>>, files: readonly InjectedFile[]): CredentialCloud | undefined {
  if (provider === "aws") {
    const roleArn = env.AWS_ROLE_ARN;
    return roleArn === undefined || roleArn === "" ? undefined : { provider, roleArn };
  }
  const projectId = env.GOOGLE_CLOUD_PROJECT;
  const audience = files.find((file) => file.kind === "token")?.audience;
  return projectId === undefined || audience === undefined ? undefined : { provider, projectId, audience };
}
