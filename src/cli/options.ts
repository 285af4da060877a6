import { stat } from "node:fs/promises";
import path from "node:path";

import { Option } from "commander";

import { CliError } from "./errors.js";

/** Builds a `--format` option limited to `choices`, defaulting to the first. */
export function formatOption(choices: readonly string[]): Option {
  return new Option("--format <format>", "output format").choices(choices).default(choices[0]);
}

/** Resolves the config directory argument, defaulting to the working directory. */
export async function configDirectory(dir: string | undefined): Promise<string> {
  const resolved = path.resolve(dir ?? ".");
  const info = await stat(resolved).catch(() => undefined);
  if (info === undefined) throw new CliError(`config directory ${dir ?? "."} not found; pass the path of the config repository`);
  if (!info.isDirectory()) throw new CliError(`${dir ?? "."} is not a directory; pass the path of the config repository`);
  return resolved;
}
