import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { TriggerSource } from "../../src/daemon/cycle.js";
import { RunScheduler } from "../../src/daemon/scheduler.js";
import type { SchedulerOptions } from "../../src/daemon/scheduler.js";
import { captureLogger } from "./harness.js";

/** A run function whose runs end only when the test releases them. */
function gatedRuns(): { run: SchedulerOptions["run"]; sources: TriggerSource[]; release(result?: { retry: boolean }): void; pending(): number } {
  const sources: TriggerSource[] = [];
  const waiting: ((result: { retry: boolean }) => void)[] = [];
  return {
    sources,
    run: (source) => {
      sources.push(source);
      return new Promise((resolve) => waiting.push(resolve));
    },
    release: (result = { retry: false }) => waiting.shift()?.(result),
    pending: () => waiting.length,
  };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

function scheduler(run: SchedulerOptions["run"], overrides: Partial<SchedulerOptions> = {}): RunScheduler {
  return new RunScheduler({ intervalMs: 60_000, retryIntervalMs: 10_000, jitter: 0.1, random: () => 0.5, run, logger: captureLogger().logger, ...overrides });
}

describe("RunScheduler", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("collapses triggers into one more run", async () => {
    const runs = gatedRuns();
    const subject = scheduler(runs.run);

    expect(subject.trigger("startup")).toBe("started");
    expect(subject.trigger("webhook")).toBe("queued");
    expect(subject.trigger("signal")).toBe("merged");
    expect(subject.trigger("webhook")).toBe("merged");
    runs.release();
    await settle();
    expect(runs.sources).toEqual(["startup", "webhook"]);
    runs.release();
    await settle();

    expect(runs.sources).toEqual(["startup", "webhook"]);
    expect(runs.pending()).toBe(0);
    await subject.stop();
  });

  it("runs again after the interval with jitter", async () => {
    const runs = gatedRuns();
    const subject = scheduler(runs.run);
    subject.trigger("startup");
    runs.release({ retry: false });
    await settle();

    // 60 s plus 10% jitter times 0.5 = 63 s.
    await vi.advanceTimersByTimeAsync(62_999);
    expect(runs.sources).toEqual(["startup"]);
    await vi.advanceTimersByTimeAsync(1);

    expect(runs.sources).toEqual(["startup", "schedule"]);
    runs.release();
    await subject.stop();
  });

  it("uses the retry interval after a failure", async () => {
    const runs = gatedRuns();
    const subject = scheduler(runs.run);
    subject.trigger("startup");
    runs.release({ retry: true });
    await settle();

    await vi.advanceTimersByTimeAsync(10_500);

    expect(runs.sources).toEqual(["startup", "retry"]);
    runs.release();
    await subject.stop();
  });

  it("retries after a run that throws", async () => {
    const sources: TriggerSource[] = [];
    const subject = scheduler(async (source) => {
      sources.push(source);
      if (sources.length === 1) throw new Error("bug");
      return { retry: false };
    });

    subject.trigger("startup");
    await settle();
    await vi.advanceTimersByTimeAsync(10_500);

    expect(sources).toEqual(["startup", "retry"]);
    await subject.stop();
  });

  it("cancels the timer on a trigger", async () => {
    const runs = gatedRuns();
    const subject = scheduler(runs.run);
    subject.trigger("startup");
    runs.release();
    await settle();

    expect(subject.trigger("signal")).toBe("started");
    runs.release();
    await settle();
    await vi.advanceTimersByTimeAsync(62_000);

    expect(runs.sources).toEqual(["startup", "signal"]);
    await subject.stop();
  });

  it("stops without running the queued run", async () => {
    const runs = gatedRuns();
    const subject = scheduler(runs.run);
    subject.trigger("startup");
    subject.trigger("webhook");

    const stopped = subject.stop();
    runs.release();
    await stopped;
    await vi.advanceTimersByTimeAsync(120_000);

    expect(runs.sources).toEqual(["startup"]);
    expect(subject.trigger("signal")).toBe("stopped");
  });

  it("computes delays within the jitter range", () => {
    const low = scheduler(gatedRuns().run, { random: () => 0 });
    const high = scheduler(gatedRuns().run, { random: () => 0.999 });

    expect(low.nextDelayMs(false)).toBe(60_000);
    expect(high.nextDelayMs(false)).toBe(65_994);
    expect(low.nextDelayMs(true)).toBe(10_000);
  });
});
