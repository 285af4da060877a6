/** A parsed JSON object or YAML mapping whose fields are not checked yet. */
export type JsonRecord = Record<string, unknown>;

/**
 * Returns whether `value` is a JSON object or YAML mapping: a non-null object that is not
 * an array. Untrusted input is checked with it field by field instead of being cast.
 */
export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
