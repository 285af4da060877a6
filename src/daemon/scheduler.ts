import type { Logger } from "pino";

import type { TriggerSource } from "./cycle.js";

/** When runs happen. */
export interface ScheduleOptions {
  /** Time between the end of a run and the next scheduled one. */
  intervalMs: number;
  /** Time before the next run after a run that failed in a way a retry may fix. */
  retryIntervalMs: number;
  /**
   * Random extra delay as a fraction of the interval, from 0 to 1: 0.1 waits between 1
   * and 1.1 intervals, so that several daemons do not fetch in step. Default 0.1.
   */
  jitter: number;
}

/** Result of a trigger. */
export type TriggerResult =
  /** A run started now. */
  | "started"
  /** A run is in progress; one more run follows it. */
  | "queued"
  /** A run is in progress and one more is already queued; this trigger is merged into it. */
  | "merged"
  /** The scheduler is stopped. */
  | "stopped";

export interface SchedulerOptions extends ScheduleOptions {
  /** Performs one run; `retry` chooses the retry interval for the next one. */
  run: (trigger: TriggerSource) => Promise<{ retry: boolean }>;
  logger: Logger;
  /** Returns a number in [0, 1). Default Math.random. */
  random?: () => number;
}

/**
 * Runs one reconcile at a time. A trigger during a run queues exactly one more run, and
 * further triggers merge into that one, since a run always reads the latest state.
 * After a run, the next one is scheduled after the interval, or after the retry
 * interval when the run failed, each with jitter. A trigger cancels that timer.
 */
export class RunScheduler {
  private current: Promise<void> | null = null;
  private queued: TriggerSource | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly random: () => number;

  constructor(private readonly options: SchedulerOptions) {
    this.random = options.random ?? Math.random;
  }

  /** Requests a run now, or right after the one in progress. */
  trigger(source: TriggerSource): TriggerResult {
    if (this.stopped) return "stopped";
    if (this.current !== null) {
      if (this.queued !== null) return "merged";
      this.queued = source;
      return "queued";
    }
    this.clearTimer();
    this.current = this.execute(source);
    return "started";
  }

  /** Whether a run is in progress. */
  get running(): boolean {
    return this.current !== null;
  }

  /** Returns the delay before the next run, with jitter. */
  nextDelayMs(retry: boolean): number {
    const base = retry ? this.options.retryIntervalMs : this.options.intervalMs;
    return Math.round(base * (1 + this.options.jitter * this.random()));
  }

  /** Cancels the timer and the queued run, and resolves when the run in progress has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queued = null;
    this.clearTimer();
    await this.current;
  }

  private async execute(source: TriggerSource): Promise<void> {
    let retry = true;
    try {
      ({ retry } = await this.options.run(source));
    } catch (error) {
      this.options.logger.error({ err: error, trigger: source }, "run failed unexpectedly");
    }
    this.current = null;
    if (this.stopped) return;

    const queued = this.queued;
    if (queued !== null) {
      this.queued = null;
      this.trigger(queued);
      return;
    }
    const delayMs = this.nextDelayMs(retry);
    if (retry) this.options.logger.warn({ delayMs }, "retry scheduled");
    else this.options.logger.debug({ delayMs }, "next run scheduled");
    this.timer = setTimeout(() => {
      this.timer = null;
      this.trigger(retry ? "retry" : "schedule");
    }, delayMs);
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
