/**
 * Type guards for JSON from outside the process (event payloads, webhook bodies, API
 * responses), so that untrusted input is checked field by field instead of cast.
 */

import type { JsonRecord } from "../json/record.js";
import { isRecord } from "../json/record.js";

export type { JsonRecord } from "../json/record.js";
export { isRecord } from "../json/record.js";

/** The record at `key`, or undefined when it is missing or not an object. */
export function recordAt(value: unknown, key: string): JsonRecord | undefined {
  if (!isRecord(value)) return undefined;
  const field = value[key];
  return isRecord(field) ? field : undefined;
}

/** The string at `key`, or undefined when it is missing or not a string. */
export function stringAt(value: unknown, key: string): string | undefined {
  if (!isRecord(value)) return undefined;
  const field = value[key];
  return typeof field === "string" ? field : undefined;
}

/** The safe integer at `key`, or undefined when it is missing or not an integer. */
export function integerAt(value: unknown, key: string): number | undefined {
  if (!isRecord(value)) return undefined;
  const field = value[key];
  return typeof field === "number" && Number.isSafeInteger(field) ? field : undefined;
}

/** A git object ID: 40 hex digits (SHA-1), or 64 (SHA-256 repositories). */
export function isCommitSha(value: unknown): value is string {
  return typeof value === "string" && /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(value);
}
