import type { Logger } from "pino";

import type { LogFormat, LoggerOptions } from "../log/logger.js";
import { createLogger, LOG_FORMATS } from "../log/logger.js";
import { CliError } from "./errors.js";

/**
 * Returns the log format of a command's standard error: `WID_LOG_FORMAT` when it is set,
 * otherwise `text` at a terminal and `json` elsewhere (pipes, containers, CI), where
 * lines are collected by machines.
 */
export function commandLogFormat(env: NodeJS.ProcessEnv, isTerminal: boolean): LogFormat {
  const value = env.WID_LOG_FORMAT;
  if (value === undefined || value === "") return isTerminal ? "text" : "json";
  const format = LOG_FORMATS.find((known) => known === value);
  if (format === undefined) throw new CliError(`WID_LOG_FORMAT=${value} is invalid; use json or text`);
  return format;
}

/** Creates the logger of a command that logs to standard error, in the format of {@link commandLogFormat}. */
export function createCommandLogger(options: Omit<LoggerOptions, "destination" | "format"> = {}): Logger {
  return createLogger({ ...options, format: commandLogFormat(process.env, process.stderr.isTTY === true) });
}
