import { pino } from "pino";
import type { DestinationStream, Logger } from "pino";

import { isExpectedError } from "../errors/expected.js";
import { stripUrlCredentials } from "../git/url.js";
import { textDestination } from "./text-lines.js";

/** Log levels wid accepts, from most to least verbose. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Keys whose value is replaced by {@link REDACTED} wherever they appear, up to two levels deep. */
export const SECRET_KEYS = [
  "token",
  "password",
  "secret",
  "webhookSecret",
  "privateKey",
  "privateJwk",
  "authorization",
  "Authorization",
  "cookie",
  "credentials",
  "gitToken",
  "subject_token",
  "secretAccessKey",
  "sessionToken",
  "x-hub-signature-256",
];
/** Keys that may hold a repository URL; their value keeps the URL without its credentials. */
const URL_KEYS = ["repo", "remote", "url", "origin"];

/** Replacement text of a redacted value. */
export const REDACTED = "[redacted]";

/** Secret values shorter than this are not masked in text, because masking them would hide ordinary words. */
const MIN_MASKED_LENGTH = 4;

/** Levels at which every logged error keeps its stack trace, expected ones included. */
const STACK_LEVELS: ReadonlySet<LogLevel> = new Set(["trace", "debug"]);

export interface LoggerOptions {
  /**
   * Default `info`. At `debug` and `trace` every error in an `err` field keeps its stack
   * trace, and at other levels only unexpected errors do.
   */
  level?: LogLevel;
  /** Value of the `name` field of every line. Default `wid`. */
  name?: string;
  /**
   * Secret values (tokens, the webhook secret) that are replaced by {@link REDACTED}
   * wherever they appear in a log line, including inside error messages.
   */
  secrets?: readonly string[];
  /**
   * Destination of the JSON lines. Default: standard error, written synchronously, so
   * that a command's standard output carries only its result. The daemon logs to
   * standard output.
   */
  destination?: DestinationStream;
  /**
   * `json` (default) writes one JSON object per line. `text` writes each line as
   * `wid: LEVEL: MESSAGE (field=value, ...)` for a person at a terminal, after the same
   * redaction and masking.
   */
  format?: LogFormat;
}

/** Forms of a log line: JSON for machines, text for a person at a terminal. */
export const LOG_FORMATS = ["json", "text"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * Creates wid's pino logger, shared by every command and the daemon: one JSON object
 * per line, secret keys redacted, URLs stripped of credentials, and every known secret
 * value masked in the final line. An error in an `err` field is written with its type,
 * message and fields. Its stack trace is added only when the error is unexpected (see
 * `ExpectedError`) or the level is `debug` or `trace`.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.destination ?? pino.destination({ dest: 2, sync: true });
  const destination = options.format === "text" ? textDestination(stream) : stream;
  const level = options.level ?? "info";
  const urlKeys = new Set(URL_KEYS);
  return pino(
    {
      level,
      base: { name: options.name ?? "wid" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: errorSerializer(STACK_LEVELS.has(level)) },
      redact: {
        paths: [...SECRET_KEYS, ...URL_KEYS].flatMap((key) => [bracket(key), `*${bracket(key)}`, `*.*${bracket(key)}`]),
        censor: (value, keyPath) => {
          const key = keyPath[keyPath.length - 1] ?? "";
          return urlKeys.has(key) && typeof value === "string" ? stripUrlCredentials(value) : REDACTED;
        },
      },
    },
    maskingStream(destination, options.secrets ?? []),
  );
}

function bracket(key: string): string {
  return `["${key}"]`;
}

/** Wraps `destination` so that every secret value is masked in each line before it is written. */
function maskingStream(destination: DestinationStream, secrets: readonly string[]): DestinationStream {
  const mask = secretMasker(secrets);
  return { write: (line: string) => destination.write(mask(line)) };
}

/**
 * Returns a function that replaces each of `secrets` in a text with {@link REDACTED},
 * in plain and in JSON-escaped form. Secrets shorter than 4 characters are left alone.
 */
export function secretMasker(secrets: readonly string[]): (text: string) => string {
  // A log line is JSON, so a secret with quotes or backslashes appears in its escaped form.
  const forms = secrets.filter((secret) => secret.length >= MIN_MASKED_LENGTH).flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1)]);
  const masked = [...new Set(forms)].sort((a, b) => b.length - a.length);
  return (text) => {
    let result = text;
    for (const secret of masked) {
      if (result.includes(secret)) result = result.split(secret).join(REDACTED);
    }
    return result;
  };
}

/**
 * Returns pino's error serializer with credentials removed from URLs in the message and
 * stack. An expected error keeps its own message, without its causes' appended, and
 * loses its stack unless `allStacks` is set. A value that is not an error, such as a
 * message string, is written as `{ message }`.
 */
function errorSerializer(allStacks: boolean): (error: unknown) => unknown {
  return (error) => {
    if (!(error instanceof Error)) return { message: stripUrlCredentials(String(error)) };
    const { stack, ...serialized } = pino.stdSerializers.err(error);
    const expected = isExpectedError(error);
    // An expected error's message is complete, so the cause's message that pino appends would repeat it.
    const message = expected ? error.message : serialized.message;
    return {
      ...serialized,
      message: stripUrlCredentials(message),
      ...((allStacks || !expected) && stack !== undefined ? { stack: stripUrlCredentials(stack) } : {}),
    };
  };
}
