import { createAwsAdapter } from "./aws/adapter.js";
import type { AdapterRegistry } from "./types.js";

/**
 * The adapters this build supports. Google Cloud has none yet: its integrations are
 * reported as not supported and their identities are left as they are.
 */
export function createAdapters(): AdapterRegistry {
  return { aws: createAwsAdapter() };
}
