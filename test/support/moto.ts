import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";

/** How to install moto when it is missing. */
export const MOTO_INSTALL_HINT = 'install the AWS emulator with: pip install "moto[server]"';

export interface MotoServer {
  /** `http://127.0.0.1:PORT`, for AWS_ENDPOINT_URL. */
  endpoint: string;
  /** Clears every resource, as a fresh server. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** Whether `moto_server` can be started on this machine. */
export function motoInstalled(): boolean {
  const result = spawnSync("moto_server", ["--help"], { stdio: "ignore" });
  return result.status === 0;
}

/**
 * Decides whether end-to-end tests against moto run. Without moto they are skipped on
 * a developer machine, with a message naming the install; under CI=true a missing moto
 * is an error, so that a CI run never passes without them.
 */
export function motoAvailability(): { run: boolean; reason: string } {
  if (motoInstalled()) return { run: true, reason: "" };
  if (process.env.CI === "true") {
    throw new Error(`moto_server is not installed, and CI=true requires the AWS end-to-end tests; ${MOTO_INSTALL_HINT}`);
  }
  return { run: false, reason: `skipped: moto_server not found; ${MOTO_INSTALL_HINT}` };
}

/** Returns a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts moto on a free loopback port and waits until it answers. */
export async function startMoto(): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });

  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with code ${child.exitCode}: ${stderr}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (Date.now() >= deadline) {
    child.kill("SIGKILL");
    throw new Error(`moto_server did not answer on ${endpoint} within 30 s: ${stderr}`);
  }

  return {
    endpoint,
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
      if (!response.ok) throw new Error(`moto reset failed with HTTP ${response.status}`);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Environment for an AWS SDK client or a wid child process that talks to moto: the
 * endpoint, a region, and moto's fixed test credentials.
 */
export function motoEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_EC2_METADATA_DISABLED: "true",
  };
}
