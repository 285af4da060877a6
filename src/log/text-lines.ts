import type { DestinationStream } from "pino";

import { isRecord } from "../json/record.js";

/** Fields of a JSON log line that the text form leaves out or shows in its own place. */
const OMITTED_FIELDS = new Set(["level", "time", "name", "msg", "pid", "hostname", "err"]);

/** Words for pino's level labels in the text form, matching the words of `wid validate`. */
const LEVEL_WORDS: Readonly<Record<string, string>> = { warn: "warning", fatal: "error" };

/**
 * Converts one JSON log line to the text form that a person reads in a terminal:
 * `wid: LEVEL: MESSAGE (field=value, ...)`, with the message of an `err` field last.
 * A line that is not a JSON object is returned as it is.
 */
export function textLine(line: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return line;
  }
  if (!isRecord(parsed)) return line;
  const record = parsed;

  const label = typeof record.level === "string" ? record.level : "info";
  const fields = Object.entries(record)
    .filter(([key]) => !OMITTED_FIELDS.has(key))
    .map(([key, value]) => `${key}=${fieldValue(value)}`);
  const error = errorMessage(record.err);
  if (error !== undefined) fields.push(`error=${fieldValue(error)}`);

  const name = typeof record.name === "string" ? record.name : "wid";
  const message = typeof record.msg === "string" ? record.msg : "";
  const details = fields.length > 0 ? ` (${fields.join(", ")})` : "";
  return `${name}: ${LEVEL_WORDS[label] ?? label}: ${message}${details}\n`;
}

/** Wraps `destination` so that each JSON line is written in the text form of {@link textLine}. */
export function textDestination(destination: DestinationStream): DestinationStream {
  return { write: (line: string) => destination.write(textLine(line)) };
}

function fieldValue(value: unknown): string {
  if (typeof value === "string") return /^[^\s",()=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

function errorMessage(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  return typeof value.message === "string" ? value.message : undefined;
}
