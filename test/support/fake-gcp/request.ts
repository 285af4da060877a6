/** A parsed request, and checks of untrusted request fields that fail with INVALID_ARGUMENT. */

import { invalid } from "./errors.js";

export interface FakeRequest {
  method: string;
  /** Path parameters captured by the route. */
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function optionalString(body: Record<string, unknown>, field: string, maxLength?: number): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalid(`Invalid value at '${field}': expected a string.`);
  if (maxLength !== undefined && value.length > maxLength) throw invalid(`Field '${field}' must be at most ${maxLength} characters.`);
  return value;
}

export function optionalBoolean(body: Record<string, unknown>, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw invalid(`Invalid value at '${field}': expected a boolean.`);
  return value;
}

export function optionalStringList(body: Record<string, unknown>, field: string): string[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === "string")) {
    throw invalid(`Invalid value at '${field}': expected a list of strings.`);
  }
  return value;
}

export function optionalStringMap(body: Record<string, unknown>, field: string): Record<string, string> | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value) || !Object.values(value).every((item) => typeof item === "string")) {
    throw invalid(`Invalid value at '${field}': expected a map of strings.`);
  }
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, String(item)]));
}

export function optionalRecord(body: Record<string, unknown>, field: string): Record<string, unknown> | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw invalid(`Invalid value at '${field}': expected an object.`);
  return value;
}

/** `pageSize` from the query: the default when absent, capped at the maximum like Google does. */
export function pageSize(query: URLSearchParams, defaultSize: number, maxSize: number): number {
  const raw = query.get("pageSize");
  if (raw === null || raw === "" || raw === "0") return defaultSize;
  const size = Number(raw);
  if (!Number.isInteger(size) || size < 0) throw invalid(`Invalid pageSize ${JSON.stringify(raw)}.`);
  return Math.min(size, maxSize);
}

/** Returns one page of `items` and the token of the next one. Tokens are opaque base64 offsets. */
export function paginate<T>(items: readonly T[], token: string | null, size: number): { page: T[]; nextPageToken?: string } {
  const start = token === null || token === "" ? 0 : Number(Buffer.from(token, "base64").toString("utf8").replace(/^offset:/, ""));
  if (!Number.isInteger(start) || start < 0) throw invalid("Invalid page token.");
  const page = items.slice(start, start + size);
  const next = start + size;
  return next < items.length ? { page, nextPageToken: Buffer.from(`offset:${next}`).toString("base64") } : { page };
}

/**
 * The paths of an `updateMask`, checked against the fields a method can update. Google
 * accepts both the JSON (camelCase) and the proto (snake_case) spelling; the result uses
 * camelCase. An unknown path is INVALID_ARGUMENT, and so is a missing mask when required.
 */
export function parseUpdateMask(raw: string | null, allowed: readonly string[], required: boolean): string[] | undefined {
  if (raw === null || raw.trim() === "") {
    if (required) throw invalid("update_mask is required and must not be empty.");
    return undefined;
  }
  const paths = raw.split(",").map((path) => path.trim().replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase()));
  for (const path of paths) {
    if (!allowed.includes(path)) throw invalid(`Invalid update_mask path "${path}": the field does not exist or cannot be updated.`);
  }
  return paths;
}
