/** Type guards and descriptions for values read from YAML or JSON, before they are trusted. */

/** Describes the type of a value in the user's terms: a list, a mapping, a number. */
export function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `a ${typeof value}`;
}
