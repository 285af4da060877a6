import type { IntegrationNote } from "../plan/types.js";
import type { ResourceOutcome } from "../providers/types.js";

export interface ApplySummary {
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
  failed: number;
}

/** What an apply did: one outcome per resource, changed or not. */
export interface ApplyReport {
  /** Outcomes ordered by integration, then identity (integration-wide resources first), then plan order. */
  outcomes: ResourceOutcome[];
  summary: ApplySummary;
  /** Integrations that could not be observed, so nothing was applied to them. */
  failedIntegrations: IntegrationNote[];
  /** The apply was stopped by its signal before every planned change was attempted. */
  stopped: boolean;
}

/** Whether an apply left anything failed. */
export function applyFailed(report: ApplyReport): boolean {
  return report.summary.failed > 0 || report.failedIntegrations.length > 0;
}
