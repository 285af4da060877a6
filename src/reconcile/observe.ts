import type { Logger } from "pino";

import type { ConfigModel, Integration, Provider, WorkloadIdentity } from "../config/model.js";
import { PROVIDER_NAMES } from "../config/model.js";
import type { PlanInput } from "../plan/online.js";
import type { ResourceChange } from "../plan/types.js";
import type {
  AdapterRegistry,
  ApplyOptions,
  CloudAdapter,
  CloudErrorKind,
  IdentityByProvider,
  IntegrationByProvider,
  ObservationByProvider,
  ResourceOutcome,
} from "../providers/types.js";
import { CloudError } from "../providers/types.js";

/** Writes planned changes to an observed integration, through its adapter. */
export type ApplyChanges = (changes: readonly ResourceChange[], options: ApplyOptions, logger: Logger) => Promise<ResourceOutcome[]>;

/** One integration after observation: what the planner needs, and how to apply to it. */
export interface IntegrationSession {
  integration: Integration;
  input: PlanInput;
  /** Present only when the integration was observed. */
  apply?: ApplyChanges;
  /** Why observing failed, when it did. */
  errorKind?: CloudErrorKind;
}

/**
 * Observes every integration of the model concurrently. Integrations are independent:
 * one that cannot be reached, has no credentials or is for another account is
 * returned as failed, and the others are observed as usual. An integration whose
 * provider has no adapter is returned as unsupported.
 */
export async function observeIntegrations(model: ConfigModel, adapters: AdapterRegistry, logger: Logger): Promise<Map<string, IntegrationSession>> {
  const issuer = model.settings?.issuer ?? "";
  const sessions = await Promise.all([...model.integrations.values()].map((integration) => observeOne(integration, issuer, adapters, logger)));
  return new Map(sessions.map((session) => [session.integration.name, session]));
}

async function observeOne(integration: Integration, issuer: string, adapters: AdapterRegistry, logger: Logger): Promise<IntegrationSession> {
  try {
    // One case per provider: the adapter's types follow the integration's.
    switch (integration.provider) {
      case "aws": {
        const adapter = adapters.aws;
        if (adapter === undefined) return unsupported(integration);
        return bind(adapter, integration, await adapter.observe({ integration, issuer, logger }), (identity): identity is IdentityByProvider["aws"] => identity.provider === "aws");
      }
      case "gcp": {
        const adapter = adapters.gcp;
        if (adapter === undefined) return unsupported(integration);
        return bind(adapter, integration, await adapter.observe({ integration, issuer, logger }), (identity): identity is IdentityByProvider["gcp"] => identity.provider === "gcp");
      }
    }
  } catch (error) {
    const message = error instanceof CloudError ? error.message : `observing the integration failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`;
    logger.error({ integration: integration.name, err: error }, "integration could not be observed");
    return { integration, input: { status: "failed", message }, errorKind: error instanceof CloudError ? error.kind : "other" };
  }
}

/** Binds an observation to its adapter, so the planner and apply never mix providers. */
function bind<P extends Provider>(
  adapter: CloudAdapter<P>,
  integration: IntegrationByProvider[P],
  observation: ObservationByProvider[P],
  isOfProvider: (identity: WorkloadIdentity) => identity is IdentityByProvider[P],
): IntegrationSession {
  return {
    integration,
    input: {
      status: "observed",
      account: observation.account,
      fingerprint: observation.fingerprint,
      compare: (desired) =>
        adapter.compare({ integration, issuer: desired.issuer, identities: desired.identities.filter(isOfProvider), protectedNames: desired.protectedNames, elsewhere: desired.elsewhere }, observation),
    },
    apply: (changes, options, logger) => adapter.apply({ integration, changes, observation, options, logger }),
  };
}

function unsupported(integration: Integration): IntegrationSession {
  const message = `${PROVIDER_NAMES[integration.provider]} integrations are not supported by this build yet; the identities of ${integration.name} are left as they are`;
  return { integration, input: { status: "unsupported", message } };
}
