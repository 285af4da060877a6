/**
 * The validated configuration: what the repository asks for, with defaults applied.
 * Objects here come only from documents that passed validation.
 */

import type { Diagnostic } from "./diagnostics.js";

export type Provider = "aws" | "gcp";
export const PROVIDERS: readonly Provider[] = ["aws", "gcp"];
/** The names of the providers in messages: "AWS" and "Google Cloud". */
export const PROVIDER_NAMES: Readonly<Record<Provider, string>> = { aws: "AWS", gcp: "Google Cloud" };

/** Where a document, or a field of it, is written. Lines and columns are 1-based. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export interface Settings {
  /** The `iss` of every token, an https URL without a trailing slash. */
  issuer: string;
  /** Status file path relative to the config root. Default `.wid/status.yaml`. */
  statusFile: string;
  /** Delete the owned cloud resources of removed identities. Default false. */
  prune: boolean;
  /** Token lifetime in seconds, 600 to 86,400. Default 3,600. */
  tokenLifetimeSeconds: number;
  /** Stop applying while still validating, planning and reporting. Default false. */
  suspend: boolean;
  source?: SourceLocation;
}

export const DEFAULT_STATUS_FILE = ".wid/status.yaml";
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600;
export const MIN_TOKEN_LIFETIME_SECONDS = 600;
export const MAX_TOKEN_LIFETIME_SECONDS = 86_400;

export interface AwsIntegrationSpec {
  /** 12-digit account ID. */
  accountId: string;
  /** IAM path of created roles. Default `/workload-identity/`. */
  rolePath: string;
  /** Prefix of created role names. Default `wid-`. */
  roleNamePrefix: string;
  permissionsBoundary?: string;
}

export interface GcpIntegrationSpec {
  projectId: string;
  /** Project number as a string of digits. */
  projectNumber: string;
  /** Workload identity pool ID. Default `wid-pool`. */
  poolId: string;
  /** OIDC provider ID inside the pool. Default `wid-issuer`. */
  providerId: string;
  /**
   * Upload the issuer's public keys to the provider (`oidc.jwksJson`) and keep them in
   * sync on key rotation, for an issuer that Google cannot reach. Default false: Google
   * fetches the JWKS from the issuer's discovery document.
   */
  uploadJwks: boolean;
}

interface IntegrationBase {
  name: string;
  description?: string;
  source: SourceLocation;
}

export interface AwsIntegration extends IntegrationBase {
  provider: "aws";
  aws: AwsIntegrationSpec;
}

export interface GcpIntegration extends IntegrationBase {
  provider: "gcp";
  gcp: GcpIntegrationSpec;
}

export type Integration = AwsIntegration | GcpIntegration;

export interface Scope {
  /** `"*"` for every project, a list of project names, or undefined for no project. */
  projects: "*" | readonly string[] | undefined;
  /** Tags a workload must have; undefined means no tag restriction. */
  tags: readonly string[] | undefined;
  /** A workload needs every tag instead of any one. Default false. */
  matchAllTags: boolean;
}

/** An IAM policy document as written, after parsing a JSON string form. */
export type PolicyDocument = Record<string, unknown>;

interface IdentityBase {
  name: string;
  description?: string;
  integration: string;
  /** Make the cloud match this file. Default false. */
  install: boolean;
  scope: Scope;
  source: SourceLocation;
  /** Where the permissions are written (`spec.aws.policy` or `spec.gcp.permissions`). */
  permissionsSource: SourceLocation;
}

export interface AwsIdentity extends IdentityBase {
  provider: "aws";
  aws: { policy: PolicyDocument };
}

export interface GcpIdentity extends IdentityBase {
  provider: "gcp";
  gcp: { permissions: readonly string[] };
}

export type WorkloadIdentity = AwsIdentity | GcpIdentity;

export interface Workload {
  project: string;
  name: string;
  description?: string;
  type: "service" | "job";
  tags: readonly string[];
  source: SourceLocation;
}

/** `PROJECT/NAME`, the key of a workload in the status file and on the command line. */
export function workloadKey(workload: Pick<Workload, "project" | "name">): string {
  return `${workload.project}/${workload.name}`;
}

/**
 * An identity whose document has errors. It keeps its last installed state: nothing
 * is created, changed or deleted for it until the file is fixed.
 */
export interface InvalidIdentity {
  name: string;
  /** Undefined when the document has errors before its provider can be read. */
  provider?: Provider;
  integration?: string;
  source: SourceLocation;
  /**
   * Set when the identity's own document is valid but its integration's is not: the
   * integration's name and the file that defines it. The identity then waits for that
   * file to be fixed.
   */
  invalidIntegration?: { name: string; file: string };
}

/** Says why an identity is invalid, naming the file to fix, such as `identities/a.yaml has errors`. */
export function invalidIdentityCause(identity: InvalidIdentity): string {
  const integration = identity.invalidIntegration;
  if (integration !== undefined) return `its integration ${integration.name} is invalid (${integration.file} has errors)`;
  return `${identity.source.file} has errors`;
}

export interface ConfigModel {
  /** Undefined when the repository has no valid Settings document. */
  settings: Settings | undefined;
  integrations: ReadonlyMap<string, Integration>;
  /** Valid identities by name, in byte order of names. */
  identities: ReadonlyMap<string, WorkloadIdentity>;
  /** Identities whose document is invalid, by name. */
  invalidIdentities: ReadonlyMap<string, InvalidIdentity>;
  /** Integrations whose document is invalid: the file of each, by name. */
  invalidIntegrations: ReadonlyMap<string, string>;
  /** Workloads by `PROJECT/NAME`. */
  workloads: ReadonlyMap<string, Workload>;
  /**
   * Files that may define identities wid cannot name. Such a file could not be read at
   * all (YAML syntax, size, encoding, a symbolic link), or it has a document whose errors
   * come before a name can be read (no mapping, an unknown kind, no `metadata.name`).
   * A symbolic link to a folder is listed as the folder's path with a trailing `/` and
   * covers every file under it. Deletes are suspended while one exists, and the
   * identities that the previous status places in these files keep their state.
   */
  unreadableFiles: readonly string[];
  /**
   * Files with at least one error-level diagnostic, in byte order. Deletes are suspended
   * while one exists, because a file with errors may hide an identity that is still wanted.
   */
  filesWithErrors: readonly string[];
  /** Every file that was read, relative to the config root. */
  files: readonly string[];
}

export interface LoadedConfig {
  root: string;
  model: ConfigModel;
  /** Errors and warnings, sorted by file, line and column. */
  diagnostics: Diagnostic[];
}
