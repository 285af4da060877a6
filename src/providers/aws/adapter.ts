import type { CloudAdapter } from "../types.js";
import { applyAws } from "./apply.js";
import type { AwsClients } from "./client.js";
import { createAwsClients } from "./client.js";
import { compareAws } from "./compare.js";
import { observeAws } from "./observe.js";

/**
 * The AWS adapter. `clients` defaults to IAM and STS clients built from the SDK's
 * standard chain; pass your own only to point several adapters at one client pair.
 */
export function createAwsAdapter(clients: AwsClients = createAwsClients()): CloudAdapter<"aws"> {
  return {
    provider: "aws",
    observe: ({ integration, issuer, logger }) => observeAws(clients, integration, issuer, logger),
    compare: compareAws,
    apply: (request) => applyAws(clients, request),
  };
}
