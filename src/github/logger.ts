import { pino } from "pino";
import type { DestinationStream, Logger } from "pino";

/**
 * Field paths pino replaces with `[redacted]`, so that a credential passed in a log
 * object by mistake never reaches the output. Messages are constant and never carry one.
 */
export const REDACTED_PATHS = [
  "token",
  "privateKey",
  "secret",
  "authorization",
  "*.token",
  "*.privateKey",
  "*.secret",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
];

/** Creates the JSON logger of a GitHub command or handler, writing to `destination` (default stderr). */
export function createGithubLogger(level: "info" | "warn", destination: DestinationStream = pino.destination(2)): Logger {
  return pino({ level, base: { component: "github" }, redact: { paths: REDACTED_PATHS, censor: "[redacted]" } }, destination);
}
