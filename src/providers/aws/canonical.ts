import type { PolicyDocument } from "../../config/model.js";

/**
 * Returns the canonical JSON text of a policy document, equal for documents that IAM
 * treats as the same.
 */
export function canonicalPolicyJson(policy: PolicyDocument): string {
  return stableStringify(policy);
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableStringify(item)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
