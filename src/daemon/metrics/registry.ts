import { compareBytes } from "../../text/order.js";

/**
 * A small Prometheus metrics registry: counters, gauges and histograms with labels,
 * rendered in the text exposition format 0.0.4 with HELP and TYPE lines.
 */

/** The Content-Type of the text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type Labels = Readonly<Record<string, string>>;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

interface Metric {
  render(): string[];
}

abstract class LabelledMetric<T> implements Metric {
  protected readonly series = new Map<string, { labels: Labels; value: T }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "gauge" | "histogram",
    readonly labelNames: readonly string[],
  ) {
    if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name ${name}`);
    for (const label of labelNames) if (!LABEL_NAME.test(label) || label === "le") throw new Error(`invalid label name ${label} on ${name}`);
  }

  protected entry(labels: Labels, initial: () => T): { labels: Labels; value: T } {
    const names = Object.keys(labels).sort();
    const expected = [...this.labelNames].sort();
    if (names.length !== expected.length || names.some((label, index) => label !== expected[index])) {
      throw new Error(`metric ${this.name} takes labels ${expected.join(", ") || "none"}, not ${names.join(", ") || "none"}`);
    }
    const key = names.map((label) => `${label}=${labels[label] ?? ""}`).join("\u0000");
    let found = this.series.get(key);
    if (found === undefined) {
      found = { labels, value: initial() };
      this.series.set(key, found);
    }
    return found;
  }

  protected header(): string[] {
    return [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
  }

  protected sortedSeries(): { labels: Labels; value: T }[] {
    return [...this.series.entries()].sort(([a], [b]) => compareBytes(a, b)).map(([, entry]) => entry);
  }

  abstract render(): string[];
}

/** A value that only goes up, such as runs by outcome. */
export class Counter extends LabelledMetric<number> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, "counter", labelNames);
  }

  /** Adds `value` (default 1, never negative) to the series of `labels`. */
  inc(labels: Labels = {}, value = 1): void {
    if (value < 0) throw new Error(`counter ${this.name} cannot decrease`);
    this.entry(labels, () => 0).value += value;
  }

  /** Creates the series of `labels` at 0, so that it is exported before its first increment. */
  init(labels: Labels = {}): void {
    this.entry(labels, () => 0);
  }

  render(): string[] {
    return [...this.header(), ...this.sortedSeries().map(({ labels, value }) => `${this.name}${formatLabels(labels)} ${formatValue(value)}`)];
  }
}

/** A value that goes up and down, such as identities by state. */
export class Gauge extends LabelledMetric<number> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, "gauge", labelNames);
  }

  set(labels: Labels, value: number): void {
    this.entry(labels, () => 0).value = value;
  }

  render(): string[] {
    return [...this.header(), ...this.sortedSeries().map(({ labels, value }) => `${this.name}${formatLabels(labels)} ${formatValue(value)}`)];
  }
}

interface HistogramValue {
  counts: number[];
  sum: number;
  count: number;
}

/** Observations counted into cumulative buckets, such as run durations. */
export class Histogram extends LabelledMetric<HistogramValue> {
  /** Upper bounds of the buckets, ascending; `+Inf` is implied. */
  readonly buckets: readonly number[];

  constructor(name: string, help: string, buckets: readonly number[], labelNames: readonly string[] = []) {
    super(name, help, "histogram", labelNames);
    this.buckets = [...buckets].sort((a, b) => a - b);
  }

  observe(value: number, labels: Labels = {}): void {
    const entry = this.entry(labels, () => ({ counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    this.buckets.forEach((bound, index) => {
      if (value <= bound) entry.value.counts[index] = (entry.value.counts[index] ?? 0) + 1;
    });
    entry.value.sum += value;
    entry.value.count += 1;
  }

  render(): string[] {
    const lines = this.header();
    for (const { labels, value } of this.sortedSeries()) {
      this.buckets.forEach((bound, index) => {
        lines.push(`${this.name}_bucket${formatLabels({ ...labels, le: formatValue(bound) })} ${value.counts[index] ?? 0}`);
      });
      lines.push(`${this.name}_bucket${formatLabels({ ...labels, le: "+Inf" })} ${value.count}`);
      lines.push(`${this.name}_sum${formatLabels(labels)} ${formatValue(value.sum)}`);
      lines.push(`${this.name}_count${formatLabels(labels)} ${value.count}`);
    }
    return lines;
  }
}

/** Holds metrics and renders them in registration order. */
export class MetricsRegistry {
  private readonly metrics: Metric[] = [];
  private readonly names = new Set<string>();

  /** Registers `metric` and returns it. Throws when its name is taken. */
  register<T extends LabelledMetric<unknown>>(metric: T): T {
    if (this.names.has(metric.name)) throw new Error(`metric ${metric.name} is already registered`);
    this.names.add(metric.name);
    this.metrics.push(metric);
    return metric;
  }

  /** Renders every metric in the text exposition format, ending with a newline. */
  render(): string {
    return `${this.metrics.flatMap((metric) => metric.render()).join("\n")}\n`;
  }
}

function formatLabels(labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length === 0) return "";
  return `{${names.map((name) => `${name}="${escapeLabelValue(labels[name] ?? "")}"`).join(",")}}`;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}
