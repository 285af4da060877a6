import { createHash } from "node:crypto";

import type { WorkloadIdentity } from "../config/model.js";
import { canonicalPolicyJson } from "../config/aws-policy/canonical.js";

/**
 * Hashes the permissions of an identity in their canonical form, as `sha256:HEX`. Two
 * identities have the same hash exactly when their cloud permissions are the same, so
 * the status file can tell "saved" from "installed" without storing the permissions.
 */
export function permissionsHash(identity: WorkloadIdentity): string {
  const canonical = identity.provider === "aws" ? canonicalPolicyJson(identity.aws.policy) : canonicalPermissions(identity.gcp.permissions);
  return hashText(canonical);
}

/** The canonical text of Google Cloud permissions: sorted, one per line. */
export function canonicalPermissions(permissions: readonly string[]): string {
  return [...new Set(permissions)].sort().join("\n");
}

export function hashText(text: string): string {
  return `sha256:${createHash("sha256").update(text).digest("hex")}`;
}
