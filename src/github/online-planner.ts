import type { Logger } from "pino";

import type { Integration, Provider } from "../config/model.js";
import { PROVIDER_NAMES } from "../config/model.js";
import { planOffline } from "../plan/offline.js";
import type { PlanInput as IntegrationInput } from "../plan/online.js";
import { planOnline } from "../plan/online.js";
import type { AdapterRegistry } from "../providers/types.js";
import { observeIntegrations } from "../reconcile/observe.js";
import { combinePlans } from "./combine-plans.js";
import type { Planner } from "./planner.js";

/** Provider names in the reasons that check summaries show. */

export interface OnlinePlannerOptions {
  /** The cloud adapters, as `wid plan` creates them with `createAdapters`. */
  adapters: AdapterRegistry;
  logger: Logger;
  /**
   * Providers to read the cloud of. The integrations of other providers are compared
   * with the status file instead, each with a note naming the missing credentials.
   * Default: every provider, so an integration that cannot be read is reported failed.
   */
  providers?: ReadonlySet<Provider>;
}

/**
 * Creates the planner that reads the cloud, as `wid plan` does. It observes each
 * integration through its adapter and plans with `planOnline`, using the config and
 * the status file that the check loaded (for a pull request, the base commit's status
 * file). It only reads, and writes nothing to the cloud or the repository.
 *
 * When `providers` leaves out some integrations' providers, those integrations are
 * planned against the status file and marked in the plan with state `unknown` and the
 * reason; when it leaves out every integration, the whole plan is offline.
 */
export function createOnlinePlanner(options: OnlinePlannerOptions): Planner {
  return async ({ model, status, revision }) => {
    const integrations = [...model.integrations.values()];
    const offline = new Map(integrations.filter((integration) => !reads(options.providers, integration)).map((integration) => [integration.name, missingCredentials(integration.provider)]));
    if (offline.size > 0 && offline.size === integrations.length) {
      const providers = [...new Set(integrations.map((integration) => integration.provider))];
      return { plan: planOffline(model, status, revision), offlineReason: `this run has no ${providers.map((provider) => PROVIDER_NAMES[provider]).join(" or ")} credentials` };
    }

    // Observe the integrations that can be read; the others get no adapter and are not contacted.
    const adapters: AdapterRegistry = options.providers === undefined ? options.adapters : restrictAdapters(options.adapters, options.providers);
    const sessions = await observeIntegrations(model, adapters, options.logger);
    const inputs = new Map<string, IntegrationInput>([...sessions].map(([name, session]) => [name, session.input]));
    const plan = planOnline(model, status, revision, inputs);
    if (offline.size === 0) return { plan };
    return { plan: combinePlans({ model, previous: status, online: plan, offline: planOffline(model, status, revision), offlineIntegrations: offline }) };
  };
}

function reads(providers: ReadonlySet<Provider> | undefined, integration: Integration): boolean {
  return providers === undefined || providers.has(integration.provider);
}

function missingCredentials(provider: Provider): string {
  return `this run has no ${PROVIDER_NAMES[provider]} credentials`;
}

function restrictAdapters(adapters: AdapterRegistry, providers: ReadonlySet<Provider>): AdapterRegistry {
  return {
    ...(providers.has("aws") && adapters.aws !== undefined ? { aws: adapters.aws } : {}),
    ...(providers.has("gcp") && adapters.gcp !== undefined ? { gcp: adapters.gcp } : {}),
  };
}
