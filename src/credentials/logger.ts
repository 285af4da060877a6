import type { DestinationStream, Logger } from "pino";
import { pino } from "pino";

/**
 * Fields that pino replaces with `[redacted]` wherever they appear at the top level or
 * one level down, as a second line of defense: the code never logs a token or key.
 */
export const REDACTED_FIELDS = ["token", "*.token", "privateJwk", "*.privateJwk", "subject_token", "*.subject_token", "authorization", "*.authorization"];

/**
 * Creates the JSON logger of the issuer and credential commands. It writes to
 * `destination`, by default standard error, so that standard output stays free for a
 * command's result.
 */
export function createLogger(destination: DestinationStream = pino.destination(2)): Logger {
  return pino({ base: { component: "wid" }, redact: { paths: REDACTED_FIELDS, censor: "[redacted]" } }, destination);
}
