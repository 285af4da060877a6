import type { IntegrationNote } from "../plan/types.js";
import type { ResourceOutcome } from "../providers/types.js";

export interface ApplySummary {
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
  failed: number;
}

/**
 * Names of what failed in an apply. `integrations` lists integrations that could not be
 * observed or whose integration-wide resource (such as the OIDC provider) failed;
 * `identities` lists each identity with at least one failed resource.
 */
export interface ApplyFailures {
  integrations: string[];
  identities: { integration: string; identity: string }[];
}

/** What an apply did: one outcome per resource, changed or not. */
export interface ApplyReport {
  /**
   * Outcomes of planned changes in plan order, then the unchanged resources ordered by
   * integration, then identity (integration-wide resources first), then resource.
   */
  outcomes: ResourceOutcome[];
  summary: ApplySummary;
  /** Integrations that could not be observed, so nothing was applied to them. */
  failedIntegrations: IntegrationNote[];
  /** The integrations and identities that have a failure, for the summary. */
  failed: ApplyFailures;
  /** The apply was stopped by its signal before every planned change was attempted. */
  stopped: boolean;
}

/** Whether an apply left anything failed. */
export function applyFailed(report: ApplyReport): boolean {
  return report.summary.failed > 0 || report.failedIntegrations.length > 0;
}
