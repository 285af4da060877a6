import { IDENTITY_STATES } from "../../status/types.js";
import type { RunReport, TriggerSource } from "../cycle.js";
import { Counter, Gauge, Histogram, MetricsRegistry } from "./registry.js";

/** Bucket bounds of the run duration histogram, in seconds: from a no-op run to the default timeout. */
export const RUN_DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

const RUN_OUTCOMES = ["success", "partial", "failed", "aborted"] as const;
const ACTIONS = ["create", "update", "delete"] as const;
const TRIGGER_SOURCES: readonly TriggerSource[] = ["startup", "schedule", "retry", "webhook", "signal", "api"];
const WEBHOOK_RESULTS = ["accepted", "ignored", "unauthorized", "invalid"] as const;

/** Result of one webhook delivery, as counted in `wid_webhook_deliveries_total`. */
export type WebhookResult = (typeof WEBHOOK_RESULTS)[number];

/** The daemon's metrics, registered in a registry of their own. Every labelled series is exported from the start at 0. */
export class DaemonMetrics {
  readonly registry = new MetricsRegistry();

  private readonly runs = this.registry.register(new Counter("wid_reconcile_runs_total", "Reconcile runs by outcome.", ["outcome"]));
  private readonly duration = this.registry.register(new Histogram("wid_reconcile_run_duration_seconds", "Duration of reconcile runs, from fetch to push.", RUN_DURATION_BUCKETS));
  private readonly changes = this.registry.register(new Counter("wid_changes_applied_total", "Cloud changes applied, by action.", ["action"]));
  private readonly pending = this.registry.register(new Gauge("wid_changes_pending", "Planned changes not applied in the last run: waiting for install: true, an apply, or the end of a suspension."));
  private readonly identities = this.registry.register(new Gauge("wid_identities", "Identities by state in the last status file written.", ["state"]));
  private readonly lastSuccess = this.registry.register(new Gauge("wid_last_success_timestamp_seconds", "Unix time at which the last successful run finished; 0 before the first."));
  private readonly lastRun = this.registry.register(new Gauge("wid_last_run_timestamp_seconds", "Unix time at which the last run finished, whatever its outcome; 0 before the first."));
  private readonly running = this.registry.register(new Gauge("wid_reconcile_in_progress", "1 while a run is in progress, otherwise 0."));
  private readonly suspended = this.registry.register(new Gauge("wid_suspended", "1 when the last run applied nothing because applying is suspended."));
  private readonly commits = this.registry.register(new Counter("wid_status_commits_total", "Status commits pushed to the config repository."));
  private readonly rebases = this.registry.register(new Counter("wid_status_push_rebases_total", "Status commits rebased because someone else pushed first."));
  private readonly triggers = this.registry.register(new Counter("wid_reconcile_triggers_total", "Run requests by source, including those merged into a queued run.", ["source"]));
  private readonly webhooks = this.registry.register(new Counter("wid_webhook_deliveries_total", "Webhook deliveries by result.", ["result"]));

  constructor() {
    for (const outcome of RUN_OUTCOMES) this.runs.init({ outcome });
    for (const action of ACTIONS) this.changes.init({ action });
    for (const state of IDENTITY_STATES) this.identities.set({ state }, 0);
    for (const source of TRIGGER_SOURCES) this.triggers.init({ source });
    for (const result of WEBHOOK_RESULTS) this.webhooks.init({ result });
    this.lastSuccess.set({}, 0);
    this.lastRun.set({}, 0);
    this.running.set({}, 0);
    this.suspended.set({}, 0);
    this.pending.set({}, 0);
    this.commits.init();
    this.rebases.init();
  }

  runStarted(): void {
    this.running.set({}, 1);
  }

  /** Records a finished run; `finishedAt` is a Unix time in milliseconds. */
  runFinished(report: RunReport, finishedAt: number): void {
    this.running.set({}, 0);
    this.runs.inc({ outcome: report.outcome });
    this.duration.observe(report.timings.totalMs / 1000);
    this.lastRun.set({}, finishedAt / 1000);
    if (report.outcome === "success") this.lastSuccess.set({}, finishedAt / 1000);
    if (report.statusCommit !== null) this.commits.inc();
    if (report.rebased) this.rebases.inc();

    const result = report.result;
    if (result === undefined) return;
    const { created, updated, deleted, pending, notApplied } = result.counts;
    this.changes.inc({ action: "create" }, created);
    this.changes.inc({ action: "update" }, updated);
    this.changes.inc({ action: "delete" }, deleted);
    this.pending.set({}, pending + notApplied);
    this.suspended.set({}, result.suspended ? 1 : 0);
    if (result.statusFile !== null) {
      for (const state of IDENTITY_STATES) this.identities.set({ state }, result.identities[state] ?? 0);
    }
  }

  triggered(source: TriggerSource): void {
    this.triggers.inc({ source });
  }

  webhookDelivery(result: WebhookResult): void {
    this.webhooks.inc({ result });
  }

  /** Renders every metric in the text exposition format. */
  render(): string {
    return this.registry.render();
  }
}
