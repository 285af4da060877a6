import type { ConfigModel, Integration } from "../config/model.js";
import { PROVIDERS } from "../config/model.js";
import { credentialLayout, DEFAULT_PATHS } from "../credentials/layout.js";
import type { Resolution } from "../scope/resolve.js";
import type { WorkloadProviderStatus, WorkloadStatus } from "./types.js";

/** What the mapping needs to know about a selected identity beyond the config. */
export interface SelectedIdentityFacts {
  /** The identity is installed, so its credentials work. */
  ready: boolean;
  createdAt: string | null;
  /** Description and integration of an identity that is not in the model (a frozen, invalid one). */
  description?: string | null;
  integration?: string | null;
  /** The role's ARN as AWS reported it, used for AWS_ROLE_ARN; default: the ARN computed in the `aws` partition. */
  awsRoleArn?: string | null;
}

/**
 * Builds the `workloads` section of the status file and plan: per workload and
 * provider, the selected identity, its credentials, and the identities it shadows or
 * that match without being installed. Keys are in the model's order (byte order).
 */
export function buildWorkloadMapping(
  model: ConfigModel,
  resolution: Resolution,
  factsOf: (identityName: string) => SelectedIdentityFacts,
): Record<string, WorkloadStatus> {
  const mapping: Record<string, WorkloadStatus> = {};

  for (const [key, selections] of resolution.workloads) {
    const entry: WorkloadStatus = {};
    for (const provider of PROVIDERS) {
      const selection = selections[provider];
      if (selection === undefined) continue;

      const status: WorkloadProviderStatus = {
        identity: selection.selected,
        description: null,
        integration: null,
        createdAt: null,
        ready: false,
        env: {},
        files: [],
        shadowed: selection.shadowed,
        notInstalled: selection.notInstalled,
      };
      if (selection.selected !== null) {
        const facts = factsOf(selection.selected);
        const identity = model.identities.get(selection.selected);
        const integrationName = identity?.integration ?? facts.integration ?? null;
        const integration: Integration | undefined = integrationName === null ? undefined : model.integrations.get(integrationName);
        status.description = identity?.description ?? facts.description ?? null;
        status.integration = integrationName;
        status.createdAt = facts.createdAt;
        status.ready = facts.ready && integration !== undefined;
        if (integration !== undefined) {
          const layout = credentialLayout(integration, selection.selected, DEFAULT_PATHS, typeof facts.awsRoleArn === "string" ? { awsRoleArn: facts.awsRoleArn } : {});
          status.env = layout.env;
          status.files = layout.files;
        }
      }
      entry[provider] = status;
    }
    mapping[key] = entry;
  }

  return mapping;
}
