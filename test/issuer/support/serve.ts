import { spawn } from "node:child_process";

import { CLI } from "../../support/cli.js";

export interface ServeProcess {
  /** Base URL of the server, such as `http://127.0.0.1:40123`. */
  url: string;
  /** Everything the process wrote to standard error so far. */
  stderr(): string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number>;
}

/**
 * Starts `wid issuer serve DIR --keys KEYS --listen 127.0.0.1:0` and waits for its
 * "issuer server started" log line, which carries the URL with the chosen port.
 */
export async function startServe(dir: string, keys: string, extraArgs: readonly string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, "issuer", "serve", dir, "--keys", keys, "--listen", "127.0.0.1:0", ...extraArgs], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  const exited = new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? -1)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`wid issuer serve did not start within 10 s: ${stderr}`)), 10_000);
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /"url":"([^"]+)","issuer"/.exec(stderr);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void exited.then((code) => reject(new Error(`wid issuer serve exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}
