/**
 * The status file: what wid last observed and did, committed to the config repository.
 * `schemas/status.schema.json` describes the same shape and is the public contract.
 */

import type { Provider } from "../config/model.js";

/**
 * The state of an identity.
 * - `installed`: the cloud matches the file.
 * - `pending-install`: the file differs from what is installed (or nothing is installed yet)
 *   and the change waits for `install: true` or for the next apply.
 * - `not-installed`: `install: false` and nothing was ever installed.
 * - `invalid`: the file has errors; the identity keeps its last installed state.
 * - `failed`: the last apply of the identity, or of its integration, failed.
 * - `drifted`: the cloud was changed outside wid and is not being restored.
 * - `conflict`: a resource of the same name exists that wid does not own.
 * - `orphaned`: wid's resources exist but the file was removed, and prune is off.
 */
export type IdentityState = "installed" | "pending-install" | "not-installed" | "invalid" | "failed" | "drifted" | "conflict" | "orphaned";

export const IDENTITY_STATES: readonly IdentityState[] = ["installed", "pending-install", "not-installed", "invalid", "failed", "drifted", "conflict", "orphaned"];

export type IntegrationState = "installed" | "not-installed" | "failed" | "invalid";

export interface IntegrationStatus {
  provider: Provider;
  state: IntegrationState;
  /** Whether the integration's OIDC identity provider exists in the cloud. */
  installed: boolean;
  /** ARN of the AWS IAM OIDC provider, or resource name of the Google pool provider. */
  oidcProvider: string | null;
  /** Why the state is failed or invalid. Never contains secrets. */
  message?: string;
}

export interface IdentityStatus {
  provider: Provider;
  integration: string;
  /** The file that defines the identity, relative to the config root. */
  file: string | null;
  state: IdentityState;
  /** Why the identity is in its state, as a sentence. */
  message?: string;
  install: boolean;
  /** Hash of the permissions in the file, or null when the file is invalid or removed. */
  desiredHash: string | null;
  /** Hash of the permissions installed in the cloud, or null when nothing is installed. */
  installedHash: string | null;
  /** The config revision whose permissions are installed. */
  installedRevision: string | null;
  /** When the cloud role was created, as an ISO 8601 timestamp, or null. */
  createdAt: string | null;
  aws?: { roleName: string; roleArn: string };
  gcp?: { role: string; principal: string };
  /** Workload keys that use the identity. */
  workloads: string[];
}

/** A file to mount into a workload. Token files have no `content`: wid writes them at run time. */
export interface InjectedFile {
  path: string;
  /** `token`: a JWT refreshed by wid. `credential-config`: static content given here. */
  kind: "token" | "credential-config";
  /** The token's `aud` claim, for token files. */
  audience?: string;
  content?: string;
}

export interface WorkloadProviderStatus {
  /** Name of the identity the workload uses, or null when none is a candidate. */
  identity: string | null;
  description: string | null;
  integration: string | null;
  createdAt: string | null;
  /** The identity is installed and the credentials below work. */
  ready: boolean;
  env: Record<string, string>;
  files: InjectedFile[];
  /** Other candidates that lost the selection by name order. */
  shadowed: string[];
  /** Matching identities that are neither installed nor marked `install: true`. */
  notInstalled: string[];
}

export type WorkloadStatus = Partial<Record<Provider, WorkloadProviderStatus>>;

export interface StatusFile {
  apiVersion: "wid/v1";
  kind: "Status";
  /** The config commit this status describes, or null outside a git repository. */
  revision: string | null;
  integrations: Record<string, IntegrationStatus>;
  identities: Record<string, IdentityStatus>;
  /** Keyed `PROJECT/NAME`. */
  workloads: Record<string, WorkloadStatus>;
}
