import { spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

/** Parses an env file written by wid credentials (`NAME=value` lines). */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n").filter((entry) => entry !== "")) {
    const separator = line.indexOf("=");
    env[line.slice(0, separator)] = line.slice(separator + 1);
  }
  return env;
}

/**
 * Runs `node SCRIPT ARGS` with exactly `env` plus PATH. HOME and the AWS and gcloud
 * config locations point at a new empty folder, so no credential of the machine can
 * reach the child: it has only what the test gives it.
 */
export async function runNodeScript(script: string, env: Record<string, string>, args: readonly string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  const home = await mkdtemp(path.join(tmpdir(), "wid-home-"));
  const childEnv = {
    ...env,
    PATH: process.env.PATH ?? "",
    HOME: home,
    AWS_CONFIG_FILE: path.join(home, "aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, "aws-credentials"),
    CLOUDSDK_CONFIG: path.join(home, "gcloud"),
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env: childEnv, cwd: path.dirname(script) });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
