import { pino } from "pino";
import type { Logger } from "pino";

/** Log levels accepted by `--log-level`. */
export const LOG_LEVELS = ["silent", "error", "warn", "info", "debug"] as const;

/**
 * Creates a JSON logger on stderr, so that stdout carries only the command's output. Fields
 * that could hold credentials are redacted.
 */
export function cliLogger(level: string): Logger {
  return pino(
    {
      level,
      base: null,
      redact: { paths: ["*.token", "*.secretAccessKey", "*.sessionToken", "*.privateKey", "*.authorization", "*.Authorization"], censor: "[redacted]" },
    },
    pino.destination(2),
  );
}
