import type { Logger } from "pino";
import { parse } from "yaml";

import type { RunReport } from "../../src/daemon/cycle.js";
import type { Daemon, DaemonOptions } from "../../src/daemon/daemon.js";
import { createLogger } from "../../src/log/logger.js";
import type { LogLevel } from "../../src/log/logger.js";
import { runOffline } from "../../src/daemon/reconcile-runner.js";
import type { ReconcileRunner } from "../../src/daemon/runner.js";
import type { StatusFile } from "../../src/status/types.js";
import type { GitFixture } from "../git/fixture.js";
import { TEST_GIT_ENV } from "../git/fixture.js";

/** One parsed log line. */
export type LogEntry = Record<string, unknown> & { msg: string; level: string };

/** A logger that keeps its JSON lines in memory. */
export interface CapturedLogger {
  logger: Logger;
  /** The raw lines, as they would reach standard output. */
  lines: string[];
  entries(): LogEntry[];
  messages(): string[];
}

export function captureLogger(options: { level?: LogLevel; secrets?: string[] } = {}): CapturedLogger {
  const lines: string[] = [];
  const logger = createLogger({ level: options.level ?? "debug", secrets: options.secrets ?? [], destination: { write: (line: string) => void lines.push(line) } });
  const entries = (): LogEntry[] => lines.map((line) => JSON.parse(line) as LogEntry);
  return { logger, lines, entries, messages: () => entries().map((entry) => entry.msg) };
}

/** Daemon options for an in-process daemon on `fixture`: the offline runner, no HTTP server, a 1 h interval. A test that passes another runner sets its `mode` too. */
export function testDaemonOptions(fixture: GitFixture, logger: Logger, overrides: Partial<DaemonOptions> = {}): DaemonOptions {
  return {
    workFolder: {
      dir: fixture.workDir,
      remote: fixture.remote,
      branch: fixture.branch,
      subdir: "",
      git: { auth: { token: undefined, username: "x-access-token" }, environment: TEST_GIT_ENV, author: { name: "wid", email: "wid@example.com" } },
    },
    runner: runOffline,
    mode: "offline",
    logger,
    schedule: { intervalMs: 3_600_000, retryIntervalMs: 3_600_000, jitter: 0 },
    timeoutMs: 60_000,
    shutdownTimeoutMs: 10_000,
    suspend: false,
    pushAttempts: 5,
    http: null,
    ...overrides,
  };
}

/** Parses a status file's text. */
export function parseStatus(text: string | null): StatusFile {
  if (text === null) throw new Error("the status file does not exist on the remote branch");
  return parse(text) as StatusFile;
}

/** Waits until `condition` holds, polling every 20 ms, or fails after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A runner that waits at its start until the test opens the gate, then runs `inner`. */
export interface GatedRunner {
  runner: ReconcileRunner;
  /** Runs that have started, including those still waiting. */
  started: number;
  /** Lets the oldest waiting run continue. */
  open(): void;
  /** Runs still waiting at the gate. */
  waiting(): number;
}

export function gatedRunner(inner: ReconcileRunner = runOffline): GatedRunner {
  const gates: (() => void)[] = [];
  const gated: GatedRunner = {
    started: 0,
    runner: async (input) => {
      gated.started += 1;
      await new Promise<void>((resolve, reject) => {
        gates.push(resolve);
        input.signal.addEventListener("abort", () => reject(input.signal.reason), { once: true });
      });
      return inner(input);
    },
    open: () => gates.shift()?.(),
    waiting: () => gates.length,
  };
  return gated;
}

/** Collects the reports of a daemon's finished runs. */
export function collectRuns(daemon: Daemon): RunReport[] {
  const reports: RunReport[] = [];
  daemon.onRunFinished((report) => reports.push(report));
  return reports;
}
