import type { ApplyReport } from "../apply/types.js";
import type { ConfigModel } from "../config/model.js";
import type { Plan } from "../plan/types.js";
import type { IntegrationStatus, StatusFile } from "./types.js";

/**
 * Builds the `integrations` section of the status file: whether each integration's
 * OIDC provider (or Google pool provider) exists, from the plan's observation and the
 * apply outcomes. An offline plan cannot tell, so the previous entry's `installed` and
 * `oidcProvider` carry over. An integration that could not be read keeps what was
 * known; an invalid one keeps its previous entry and is `invalid`.
 */
export function integrationStatuses(model: ConfigModel, previous: StatusFile | undefined, plan: Plan, report: ApplyReport | undefined): Record<string, IntegrationStatus> {
  const statuses: Record<string, IntegrationStatus> = {};
  for (const integration of model.integrations.values()) {
    const planned = plan.integrations[integration.name];
    const before = previous?.integrations[integration.name];
    const own = (report?.outcomes ?? []).filter((outcome) => outcome.integration === integration.name && outcome.identity === null);
    const failure = own.find((outcome) => outcome.outcome === "failed");
    // The integration's reference is its OIDC provider; a Google Cloud pool's outcome names the pool instead.
    const created = own.find((outcome) => outcome.action === "create" && outcome.outcome !== "failed" && outcome.type !== "workload-identity-pool");
    const provider = integration.provider;

    if (planned === undefined || planned.state === "unknown") {
      const installed = before?.installed ?? false;
      statuses[integration.name] = { provider, state: installed ? "installed" : "not-installed", installed, oidcProvider: before?.oidcProvider ?? null };
    } else if (planned.state === "unsupported") {
      statuses[integration.name] = before ?? { provider, state: "not-installed", installed: false, oidcProvider: null, ...(planned.message !== undefined ? { message: planned.message } : {}) };
    } else if (planned.state === "failed" || planned.state === "conflict" || planned.state === "rejected") {
      const installed = planned.state === "failed" ? (before?.installed ?? false) : false;
      statuses[integration.name] = { provider, state: "failed", installed, oidcProvider: planned.reference ?? before?.oidcProvider ?? null, message: planned.message ?? planned.state };
    } else if (failure !== undefined) {
      statuses[integration.name] = { provider, state: "failed", installed: planned.state === "present", oidcProvider: planned.reference, message: failure.message ?? "the apply failed" };
    } else if (planned.state === "present" || created !== undefined) {
      statuses[integration.name] = { provider, state: "installed", installed: true, oidcProvider: created?.reference ?? planned.reference };
    } else {
      statuses[integration.name] = { provider, state: "not-installed", installed: false, oidcProvider: null };
    }
  }
  for (const [name, file] of model.invalidIntegrations) {
    const before = previous?.integrations[name];
    // A new integration with errors has no provider to report; its diagnostics name it instead.
    if (before !== undefined) statuses[name] = { ...before, state: "invalid", message: `${file} has errors; the integration's resources are left as they are until it is fixed` };
  }
  return statuses;
}
