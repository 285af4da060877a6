import type { FindingSink } from "./diagnostics.js";
import { quote } from "./quote.js";

/**
 * Checks what the Integration schema cannot express. Runs only on documents that passed
 * the schema, so the fields have their schema types.
 */
export function validateIntegrationSpec(spec: Record<string, unknown>, sink: FindingSink): void {
  if (spec.provider === "aws") {
    const aws = spec.aws as Record<string, unknown>;
    const boundary = aws.permissionsBoundary;
    if (typeof boundary === "string") {
      const owner = boundary.split(":")[4];
      if (owner !== "aws" && owner !== aws.accountId) {
        sink.error(
          ["spec", "aws", "permissionsBoundary"],
          "aws-boundary-account",
          `names a policy in account ${String(owner)}, but roles can only use a boundary policy of their own account ${String(aws.accountId)} or an AWS managed policy`,
        );
      }
    }
  } else if (spec.provider === "gcp") {
    const gcp = spec.gcp as Record<string, unknown>;
    for (const field of ["poolId", "providerId"] as const) {
      const value = gcp[field];
      if (typeof value === "string" && value.startsWith("gcp-")) {
        sink.error(["spec", "gcp", field], "gcp-reserved-prefix", `${quote(value)} starts with "gcp-", which Google reserves; choose another ID`);
      }
    }
  }
}
