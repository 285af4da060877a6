import { describe, expect, it } from "vitest";

import { Counter, Gauge, Histogram, MetricsRegistry } from "../../src/daemon/metrics/registry.js";

describe("MetricsRegistry", () => {
  it("renders counters and gauges", () => {
    const registry = new MetricsRegistry();
    const runs = registry.register(new Counter("demo_runs_total", "Runs by outcome.", ["outcome"]));
    const temperature = registry.register(new Gauge("demo_temperature", "A gauge."));

    runs.inc({ outcome: "success" });
    runs.inc({ outcome: "success" }, 2);
    runs.init({ outcome: "failed" });
    temperature.set({}, -1.5);

    expect(registry.render()).toBe(
      [
        "# HELP demo_runs_total Runs by outcome.",
        "# TYPE demo_runs_total counter",
        'demo_runs_total{outcome="failed"} 0',
        'demo_runs_total{outcome="success"} 3',
        "# HELP demo_temperature A gauge.",
        "# TYPE demo_temperature gauge",
        "demo_temperature -1.5",
        "",
      ].join("\n"),
    );
  });

  it("renders cumulative histogram buckets", () => {
    const registry = new MetricsRegistry();
    const duration = registry.register(new Histogram("demo_seconds", "Durations.", [1, 0.5]));

    for (const value of [0.2, 0.7, 3]) duration.observe(value);

    expect(registry.render().split("\n")).toEqual([
      "# HELP demo_seconds Durations.",
      "# TYPE demo_seconds histogram",
      'demo_seconds_bucket{le="0.5"} 1',
      'demo_seconds_bucket{le="1"} 2',
      'demo_seconds_bucket{le="+Inf"} 3',
      "demo_seconds_sum 3.9",
      "demo_seconds_count 3",
      "",
    ]);
  });

  it("escapes label values and help text", () => {
    const registry = new MetricsRegistry();
    const counter = registry.register(new Counter("demo_total", "Line one\nline \\ two.", ["path"]));

    counter.inc({ path: 'a"b\\c\nd' });

    expect(registry.render()).toContain("# HELP demo_total Line one\\nline \\\\ two.");
    expect(registry.render()).toContain('demo_total{path="a\\"b\\\\c\\nd"} 1');
  });

  it("rejects wrong labels", () => {
    const counter = new Counter("demo_total", "Help.", ["outcome"]);

    expect(() => counter.inc({})).toThrow("metric demo_total takes labels outcome, not none");
    expect(() => counter.inc({ outcome: "x", extra: "y" })).toThrow("takes labels outcome, not extra, outcome");
  });

  it("rejects invalid names", () => {
    expect(() => new Counter("demo-total", "Help.")).toThrow("invalid metric name demo-total");
    expect(() => new Counter("demo_total", "Help.", ["le"])).toThrow("invalid label name le");
  });

  it("rejects a decreasing counter", () => {
    expect(() => new Counter("demo_total", "Help.").inc({}, -1)).toThrow("cannot decrease");
  });

  it("rejects a duplicate name", () => {
    const registry = new MetricsRegistry();
    registry.register(new Counter("demo_total", "Help."));

    expect(() => registry.register(new Gauge("demo_total", "Help."))).toThrow("already registered");
  });
});
