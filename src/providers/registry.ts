import type { PublicJwksSource } from "../issuer/jwks-source.js";
import { createAwsAdapter } from "./aws/adapter.js";
import { createGcpAdapter } from "./gcp/adapter.js";
import type { AdapterRegistry } from "./types.js";

export interface AdapterOptions {
  /**
   * The issuer's public keys, uploaded to Google Cloud pool providers whose integration
   * sets `uploadJwks`. Read on each observation of such an integration. Default: none,
   * so those integrations fail with a message that names the missing keys. Build it with
   * `issuerJwksSource` from `issuer/jwks-source.ts`.
   */
  issuerKeys?: PublicJwksSource;
}

/**
 * Creates the adapters this build supports. The Google Cloud adapter reads its endpoints and
 * operation timeout from WID_GCP_* environment variables once, here, and its
 * credentials from Application Default Credentials on first use.
 */
export function createAdapters(options: AdapterOptions = {}): AdapterRegistry {
  const keys = options.issuerKeys;
  return {
    aws: createAwsAdapter(),
    gcp: createGcpAdapter(keys === undefined ? {} : { issuerKeySet: () => keys.load() }),
  };
}
