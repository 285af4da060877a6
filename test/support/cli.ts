import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The built CLI, as users install it. The vitest global setup builds it first. */
export const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Returns the environment of a wid child process: only `env` plus PATH and HOME, so no
 * credentials of the developer's shell leak in. Google's Application Default Credentials
 * point at a missing file unless `env` sets them, so a config with a Google Cloud
 * integration neither picks up the developer's gcloud credentials nor probes the
 * metadata server.
 */
export function childEnvironment(env: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    GOOGLE_APPLICATION_CREDENTIALS: "/nonexistent/wid-tests-use-no-google-credentials.json",
    METADATA_SERVER_DETECTION: "none",
    ...env,
  };
}

/** Runs `wid ARGS` in a child process with {@link childEnvironment} and returns its exit code and output. */
export async function runCli(args: readonly string[], options: { cwd?: string; env?: Record<string, string>; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd,
      env: childEnvironment(options.env),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}
