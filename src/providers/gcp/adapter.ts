import type { CloudAdapter } from "../types.js";
import { CloudError } from "../types.js";
import { applyGcp } from "./apply.js";
import { PermissionCatalogCache } from "./catalog-cache.js";
import type { GcpAuth, GcpClients } from "./clients.js";
import { applicationDefaultCredentials, createGcpClients } from "./clients.js";
import { compareGcp } from "./compare.js";
import type { GcpEnvironment } from "./environment.js";
import { GcpEnvironmentError, readGcpEnvironment } from "./environment.js";
import { observeGcp } from "./observe.js";
import type { PolicyRetry } from "./policy.js";
import { DEFAULT_POLICY_RETRY } from "./policy.js";

export interface GcpAdapterOptions {
  /** Environment variables to read the endpoints and the operation timeout from. Default `process.env`, read once here. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Settings to use instead of reading `env`. */
  environment?: GcpEnvironment;
  /** Credentials. Default: Application Default Credentials. */
  auth?: GcpAuth;
  /**
   * Returns the issuer's current public key set (a JWKS object, or a promise of one), or
   * undefined when none is available. Read on every observation of an integration with
   * `uploadJwks`, so a rotated key reaches the provider on the next run; an error it
   * throws fails that integration. Default: no key set.
   */
  issuerKeySet?: () => unknown;
  /** How long a project's permission catalog is reused, in milliseconds. Default one hour. */
  catalogTtlMs?: number;
  /** Read-modify-write attempts of the project policy. Default {@link DEFAULT_POLICY_RETRY}. */
  policyRetry?: PolicyRetry;
  /** First delay between polls of an operation, in milliseconds. Default 100. */
  initialPollMs?: number;
}

/**
 * Creates the Google Cloud adapter: IAM v1 for pools, providers, custom roles and the permission
 * catalog, Resource Manager v3 for the project and its IAM policy. A malformed
 * environment variable does not throw here: every integration then fails to observe
 * with a message naming the variable, and the other clouds reconcile as usual.
 */
export function createGcpAdapter(options: GcpAdapterOptions = {}): CloudAdapter<"gcp"> {
  let environment: GcpEnvironment;
  try {
    environment = options.environment ?? readGcpEnvironment(options.env ?? process.env);
  } catch (error) {
    if (!(error instanceof GcpEnvironmentError)) throw error;
    return brokenAdapter(error);
  }

  // Created on first use, so that a run without Google Cloud integrations never looks for credentials.
  let clients: GcpClients | undefined;
  const useClients = (): GcpClients => (clients ??= createGcpClients(environment, options.auth ?? applicationDefaultCredentials()));
  const catalogCache = new PermissionCatalogCache(options.catalogTtlMs);
  const operationWait = { timeoutMs: environment.operationTimeoutMs, ...(options.initialPollMs !== undefined ? { initialPollMs: options.initialPollMs } : {}) };

  return {
    provider: "gcp",
    observe: ({ integration }) => observeGcp(integration, { clients: useClients(), catalogCache, issuerKeySet: options.issuerKeySet ?? (() => undefined) }),
    compare: compareGcp,
    apply: (request) => applyGcp(useClients(), { operationWait, policyRetry: options.policyRetry ?? DEFAULT_POLICY_RETRY }, request),
  };
}

/** Creates an adapter whose every observation fails with the environment error, so that nothing is applied. */
function brokenAdapter(error: GcpEnvironmentError): CloudAdapter<"gcp"> {
  const fail = (integration: string): CloudError =>
    new CloudError(`integration ${integration} cannot be reached: ${error.message}`, { kind: "unreachable", provider: "gcp", integration, call: `environment ${error.variable}` });
  return {
    provider: "gcp",
    observe: ({ integration }) => Promise.reject(fail(integration.name)),
    compare: compareGcp,
    apply: ({ integration, changes }) => {
      const message = fail(integration.name).message;
      return Promise.resolve(
        changes.map((change) => ({ resource: change.resource, type: change.type, provider: "gcp" as const, integration: change.integration, identity: change.identity, action: change.action, outcome: "failed" as const, message })),
      );
    },
  };
}
