import { stat } from "node:fs/promises";
import path from "node:path";

import { Option } from "commander";

import { issuerJwksSource } from "../issuer/jwks-source.js";
import type { IssuerEnvironment } from "../issuer/key-source.js";
import { createAdapters } from "../providers/registry.js";
import type { AdapterRegistry } from "../providers/types.js";
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

/** Builds the `--issuer-keys FILE` option of the commands that read the cloud. */
export function issuerKeysOption(): Option {
  return new Option(
    "--issuer-keys <file>",
    "the issuer's keys, uploaded to Google Cloud integrations with uploadJwks: a key set file, a PEM private key or a public JWKS (default: $WID_ISSUER_KEYS_FILE, or the keys in $WID_ISSUER_KEYS)",
  );
}

/** Creates the cloud adapters of a command, with the issuer's keys from `--issuer-keys` or the environment. */
export function cloudAdapters(issuerKeysFile: string | undefined, environment: IssuerEnvironment): AdapterRegistry {
  const issuerKeys = issuerJwksSource(issuerKeysFile, environment);
  return createAdapters(issuerKeys === undefined ? {} : { issuerKeys });
}
