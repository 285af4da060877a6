import type { WorkloadProviderStatus } from "../status/types.js";
import type { Plan } from "./types.js";

/**
 * Whether a workload's credentials for one provider work, according to a plan:
 * - `ready`: they work now and the apply creates nothing they need;
 * - `ready-after-apply`: they work once the apply creates the identity's resources
 *   or its integration's (the OIDC provider, the workload identity pool);
 * - `not-ready`: they will not work after the apply either, for `reason`;
 * - `unknown`: the plan could not read the identity's integration, so it cannot tell.
 *   Credentials that worked before keep working unless the cloud changed.
 */
export type Readiness = { kind: "ready" } | { kind: "ready-after-apply" } | { kind: "not-ready"; reason: string } | { kind: "unknown"; reason: string };

/**
 * Tells whether the credentials of a workload's selection for one provider work now,
 * after the apply, or not at all. `status.ready` already describes the state after
 * the apply, so a ready selection counts as ready now unless the plan creates a
 * resource of its identity or of its identity's integration.
 */
export function workloadReadiness(plan: Plan, status: WorkloadProviderStatus): Readiness {
  const identity = status.identity;
  if (identity === null) {
    const waiting = status.notInstalled.length > 0 ? `matching but not installed: ${status.notInstalled.join(", ")}` : "no identity matches";
    return { kind: "not-ready", reason: waiting };
  }

  const planned = plan.identities[identity];
  const integration = planned?.integration ?? status.integration ?? changeIntegration(plan, identity);
  if (integration !== null && plan.integrations[integration]?.state === "failed") {
    return { kind: "unknown", reason: `integration ${integration} could not be read` };
  }
  if (!status.ready) {
    const state = planned?.state ?? "not-installed";
    return { kind: "not-ready", reason: planned?.message === undefined ? `the identity is in state ${state}` : `the identity is in state ${state}: ${planned.message}` };
  }

  const creates = plan.changes.some(
    (change) => change.action === "create" && (change.identity === identity || (change.identity === null && change.integration === integration)),
  );
  return creates ? { kind: "ready-after-apply" } : { kind: "ready" };
}

/** Finds the integration of an identity from its planned changes, for offline plans, whose identity states name none. */
function changeIntegration(plan: Plan, identity: string): string | null {
  return plan.changes.find((change) => change.identity === identity)?.integration ?? null;
}

/** Renders a readiness for a terminal: `ready`, `ready after apply`, `not ready: REASON` or `unknown: REASON`. */
export function formatReadiness(readiness: Readiness): string {
  switch (readiness.kind) {
    case "ready":
      return "ready";
    case "ready-after-apply":
      return "ready after apply";
    case "not-ready":
      return `not ready: ${readiness.reason}`;
    case "unknown":
      return `unknown: ${readiness.reason}`;
  }
}
