import { createAwsAdapter } from "./aws/adapter.js";
import { createGcpAdapter } from "./gcp/adapter.js";
import type { AdapterRegistry } from "./types.js";

/**
 * Creates the adapters this build supports. The Google Cloud adapter reads its endpoints and
 * operation timeout from WID_GCP_* environment variables once, here, and its
 * credentials from Application Default Credentials on first use.
 */
export function createAdapters(): AdapterRegistry {
  return { aws: createAwsAdapter(), gcp: createGcpAdapter() };
}
