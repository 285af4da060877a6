import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";

import { childEnvironment, CLI } from "../support/cli.js";
import type { LogEntry } from "./harness.js";

/** A `wid` child process that runs until it exits or is killed, with its output kept. */
export class CliProcess {
  /** Standard output and error, as received. */
  stdout = "";
  stderr = "";
  /** Resolves with the exit code, or with the signal's name when killed. */
  readonly exited: Promise<number | NodeJS.Signals>;
  private readonly child: ChildProcess;

  constructor(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
    this.child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd,
      env: childEnvironment(options.env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stdout?.on("data", (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr?.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.on("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Parses the JSON log lines printed so far. */
  entries(): LogEntry[] {
    return this.stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as LogEntry);
  }

  /** Counts the log lines with `msg`. */
  count(msg: string): number {
    return this.entries().filter((entry) => entry.msg === msg).length;
  }

  /** Waits until `count` log lines with `msg` were printed, or fails with the output so far. */
  async waitForLog(msg: string, count = 1, timeoutMs = 30_000): Promise<LogEntry> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const matches = this.entries().filter((entry) => entry.msg === msg);
      const found = matches[count - 1];
      if (found !== undefined) return found;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`no log line "${msg}" (#${count}) within ${timeoutMs} ms; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}
