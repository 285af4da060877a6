import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import path from "node:path";

import { IssuerError } from "../issuer/errors.js";
import type { CredentialTarget } from "./targets.js";

/** Default mode of token files: the owner reads and writes. */
export const DEFAULT_TOKEN_FILE_MODE = 0o600;

/**
 * Writes `content` to `file` through a temporary file in the same folder and a rename
 * over the old file. A rename within one file system is atomic, so a reader sees the
 * old content or the new one, never a missing, empty or partial file. The temporary
 * file is removed when the write fails.
 */
export async function writeFileAtomic(file: string, content: string, mode: number): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const handle = await open(temporary, "wx", mode);
    try {
      // The process umask may have narrowed the mode given to open.
      await handle.chmod(mode);
      await handle.writeFile(content, "utf8");
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

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
  await writeFileAtomic(target.envFile, formatEnvFile(target.layout.env), 0o644);
  if (target.credentialConfigFile === undefined) return;

  const config = target.layout.files.find((file) => file.kind === "credential-config");
  if (config?.content === undefined) throw new IssuerError(`workload ${target.workloadKey}: the Google credential configuration is missing from the layout`);
  await writeFileAtomic(target.credentialConfigFile, config.content, 0o644);
}

/** Writes a token file. The token has no trailing newline, because Google's library sends the file's text verbatim. */
export async function writeTokenFile(target: CredentialTarget, token: string, mode: number): Promise<void> {
  await mkdir(path.dirname(target.tokenFile), { recursive: true });
  await writeFileAtomic(target.tokenFile, token, mode);
}
