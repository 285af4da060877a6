import path from "node:path";

import type { ConfigModel, Provider, Workload } from "../config/model.js";
import { PROVIDERS } from "../config/model.js";
import { workloadNotFoundMessage } from "../config/suggest.js";
import { IssuerError } from "../issuer/errors.js";
import type { CredentialLayout, CredentialPaths, LayoutOptions } from "./layout.js";
import { AWS_AUDIENCE, credentialCloud, credentialPathsIn, layoutFor, recordedCloud } from "./layout.js";
import type { WorkloadMapping } from "./mapping.js";

/** Names of the env files in a credentials folder, one per provider. */
export const ENV_FILE_NAMES: Record<Provider, string> = { aws: "aws.env", gcp: "gcp.env" };

/** One identity of one workload whose token file and env file wid writes. */
export interface CredentialTarget {
  /** The workload as `PROJECT/NAME`. */
  workloadKey: string;
  workload: Pick<Workload, "project" | "name">;
  provider: Provider;
  identity: string;
  /** The name of the identity's integration. */
  integration: string;
  /**
   * True when the integration is invalid or missing in the config, so the credentials
   * are those that the status file recorded at the last reconcile.
   */
  recorded: boolean;
  /** The `aud` of the identity's tokens. */
  audience: string;
  /** Whether the status file marks the identity as installed, so that the credentials work. */
  ready: boolean;
  /** Path of the token file on wid's own file system. */
  tokenFile: string;
  /** Path of the env file on wid's file system. */
  envFile: string;
  /** Path of the Google credential configuration on wid's file system, for Google Cloud only. */
  credentialConfigFile?: string;
  /** Environment variables and file contents with the paths the workload sees. */
  layout: CredentialLayout;
}

export interface TargetOptions {
  /** The folder to write into. */
  outDir: string;
  /** The workloads, as `PROJECT/NAME`; undefined for every workload with an identity. */
  workloads?: readonly string[];
  /**
   * Write each workload into `outDir/PROJECT/NAME` instead of `outDir`. Always on when
   * `workloads` is undefined.
   */
  perWorkloadFolders?: boolean;
  /**
   * The folder that the workload sees in place of the output folder, such as `/` when
   * the folder is mounted at the container's root. Default: the output folder itself.
   */
  mountPath?: string;
  /** Paths the workload sees for single files, overriding `mountPath`. */
  paths?: Partial<CredentialPaths>;
  layout?: LayoutOptions;
}

/** The targets to write, and the workloads that were skipped with the reason. */
export interface TargetSelection {
  targets: CredentialTarget[];
  warnings: string[];
}

/**
 * Computes what to write for each requested workload and provider from the mapping.
 * A named workload that is unknown or has no identity is an error. When every workload
 * is requested, such a workload is skipped with a warning, so the others still get
 * credentials.
 */
export function selectTargets(model: ConfigModel, mapping: WorkloadMapping, options: TargetOptions): TargetSelection {
  const requested = options.workloads ?? [...model.workloads.keys()].filter((key) => hasIdentity(mapping, key));
  const strict = options.workloads !== undefined;
  const perWorkload = options.perWorkloadFolders === true || !strict;
  const targets: CredentialTarget[] = [];
  const warnings: string[] = [];

  for (const key of requested) {
    try {
      const workload = model.workloads.get(key);
      if (workload === undefined) {
        throw new IssuerError(workloadNotFoundMessage(key, model.workloads.keys(), model.unreadableFiles));
      }
      const folder = perWorkload ? path.join(options.outDir, workload.project, workload.name) : options.outDir;
      targets.push(...workloadTargets(model, mapping, workload, key, folder, options));
    } catch (error) {
      if (strict || !(error instanceof IssuerError)) throw error;
      warnings.push(error.message);
    }
  }
  return { targets, warnings };
}

function workloadTargets(model: ConfigModel, mapping: WorkloadMapping, workload: Workload, key: string, folder: string, options: TargetOptions): CredentialTarget[] {
  const entry = mapping.workloads[key];
  const targets: CredentialTarget[] = [];
  const hostPaths = credentialPathsIn(folder);
  const workloadPaths = visiblePaths(folder, options);

  for (const provider of PROVIDERS) {
    const selection = entry?.[provider];
    if (selection?.identity == null) continue;
    const integrationName = selection.integration ?? model.identities.get(selection.identity)?.integration;
    const integration = integrationName === undefined ? undefined : model.integrations.get(integrationName);
    // While the integration is invalid, the status file still records what the last reconcile installed.
    const recorded = integration === undefined && mapping.source === "status-file" ? recordedCloud(provider, selection.env, selection.files) : undefined;
    const cloud = integration?.provider === provider ? credentialCloud(integration, selection.identity, layoutOptions(selection.env, options.layout)) : recorded;
    if (integrationName === undefined || cloud === undefined) {
      throw new IssuerError(`workload ${key}: the integration of identity ${selection.identity} is missing or invalid in the config; fix it, then write the credentials again`);
    }
    targets.push({
      workloadKey: key,
      workload: { project: workload.project, name: workload.name },
      provider,
      identity: selection.identity,
      integration: integrationName,
      recorded: integration === undefined,
      audience: cloud.provider === "aws" ? AWS_AUDIENCE : cloud.audience,
      ready: selection.ready,
      tokenFile: provider === "aws" ? hostPaths.awsToken : hostPaths.gcpToken,
      envFile: path.join(folder, ENV_FILE_NAMES[provider]),
      ...(provider === "gcp" ? { credentialConfigFile: hostPaths.gcpCredentialConfig } : {}),
      layout: layoutFor(cloud, workloadPaths, options.layout),
    });
  }

  if (targets.length === 0) {
    const source = mapping.source === "status-file" ? "the status file" : "the config (no status file found)";
    throw new IssuerError(`workload ${key} has no identity in ${source}; run wid explain --workload ${key} to see why`);
  }
  return targets;
}

/**
 * Adds the role ARN of the mapping to the layout options: the status file records the
 * ARN that AWS reported, with the account's partition, so it is kept as written.
 */
function layoutOptions(env: Readonly<Record<string, string>>, options: LayoutOptions | undefined): LayoutOptions {
  const roleArn = env.AWS_ROLE_ARN;
  return roleArn === undefined || roleArn === "" ? { ...options } : { ...options, awsRoleArn: roleArn };
}

function visiblePaths(folder: string, options: TargetOptions): CredentialPaths {
  const base = credentialPathsIn(options.mountPath ?? path.resolve(folder));
  return {
    awsToken: options.paths?.awsToken ?? base.awsToken,
    gcpToken: options.paths?.gcpToken ?? base.gcpToken,
    gcpCredentialConfig: options.paths?.gcpCredentialConfig ?? base.gcpCredentialConfig,
  };
}

function hasIdentity(mapping: WorkloadMapping, key: string): boolean {
  const entry = mapping.workloads[key];
  return PROVIDERS.some((provider) => entry?.[provider]?.identity != null);
}

