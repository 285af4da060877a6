import { mkdir } from "node:fs/promises";
import path from "node:path";

import { writeFileAtomic } from "../fs/atomic-write.js";

import { IssuerError } from "../issuer/errors.js";
import type { CredentialTarget } from "./targets.js";

/** Default mode of token files: the owner reads and writes. */
export const DEFAULT_TOKEN_FILE_MODE = 0o600;

/**
 * Formats environment variables as `NAME=value` lines, the format of `docker run
 * --env-file`, Compose `env_file` and systemd `EnvironmentFile`. Values are written
 * unquoted, because `--env-file` keeps quotes as part of the value.
 */
export function formatEnvFile(env: Record<string, string>): string {
  const lines: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (/[\r\n]/.test(value)) throw new IssuerError(`environment variable ${name} has a line break in its value, which an env file cannot hold`);
    lines.push(`${name}=${value}`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Writes the static files of a target: the env file and, for Google Cloud, the
 * credential configuration. They change only when the mapping does, and are readable
 * by everyone who may read the folder because they contain no secret.
 */
export async function writeStaticFiles(target: CredentialTarget): Promise<void> {
  await mkdir(path.dirname(target.envFile), { recursive: true });
  await writeFileAtomic(target.envFile, formatEnvFile(target.layout.env), { mode: 0o644 });
  if (target.credentialConfigFile === undefined) return;

  const config = target.layout.files.find((file) => file.kind === "credential-config");
  if (config?.content === undefined) throw new IssuerError(`workload ${target.workloadKey}: the Google credential configuration is missing from the layout`);
  await writeFileAtomic(target.credentialConfigFile, config.content, { mode: 0o644 });
}

/** Writes a token file. The token has no trailing newline, because Google's library sends the file's text verbatim. */
export async function writeTokenFile(target: CredentialTarget, token: string, mode: number): Promise<void> {
  await mkdir(path.dirname(target.tokenFile), { recursive: true });
  await writeFileAtomic(target.tokenFile, token, { mode });
}
