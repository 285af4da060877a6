import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { RunReport } from "../../src/daemon/cycle.js";
import { Daemon } from "../../src/daemon/daemon.js";
import { sendJson } from "../../src/daemon/http/router.js";
import { GitFixture } from "../git/fixture.js";
import { rawGet } from "../support/raw-request.js";
import { captureLogger, collectRuns, gatedRunner, testDaemonOptions, waitFor } from "./harness.js";
import type { GatedRunner } from "./harness.js";

const INTERVAL_MS = 60_000;

let fixture: GitFixture;
let daemon: Daemon;
let gate: GatedRunner;
let reports: RunReport[];
let baseUrl: string;
let clock = Date.now();

beforeAll(async () => {
  fixture = await GitFixture.create();
  gate = gatedRunner();
  daemon = await Daemon.start(
    testDaemonOptions(fixture, captureLogger().logger, {
      runner: gate.runner,
      schedule: { intervalMs: INTERVAL_MS, retryIntervalMs: INTERVAL_MS, jitter: 0 },
      now: () => clock,
      http: {
        listen: { host: "127.0.0.1", port: 0 },
        webhookSecret: undefined,
        // Stands in for the issuer, which serves its documents under /.well-known/.
        mounts: [
          (request, response) => {
            if (request.url !== "/.well-known/openid-configuration") return false;
            sendJson(response, 200, { issuer: "https://oidc.example.com" });
            return true;
          },
        ],
      },
    }),
  );
  reports = collectRuns(daemon);
  baseUrl = `http://127.0.0.1:${daemon.httpAddress?.port}`;
});

afterAll(async () => {
  await daemon.stop("test finished");
  await fixture.cleanup();
});

describe("daemon HTTP server", () => {
  it("is live from the start", async () => {
    const response = await fetch(`${baseUrl}/healthz`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("is not ready before the first run", async () => {
    await waitFor(() => gate.waiting() === 1, 10_000, "the startup run");

    const response = await fetch(`${baseUrl}/readyz`);

    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: "waiting for the first run", lastRun: null });
  });

  it("reports a run in progress", async () => {
    const metrics = await (await fetch(`${baseUrl}/metrics`)).text();

    expect(metrics).toContain("wid_reconcile_in_progress 1");
  });

  it("is ready after a run", async () => {
    gate.open();
    await waitFor(() => reports.length === 1, 20_000, "the startup run to finish");

    const response = await fetch(`${baseUrl}/readyz`);

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ready", lastRun: { outcome: "success", revision: reports[0]?.revision } });
  });

  it("is not ready when runs stall", async () => {
    clock += 3 * INTERVAL_MS + 1_000;

    const response = await fetch(`${baseUrl}/readyz`);
    clock -= 3 * INTERVAL_MS + 1_000;

    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: "stalled" });
  });

  it("exports metrics in Prometheus format", async () => {
    const response = await fetch(`${baseUrl}/metrics`);
    const text = await response.text();

    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    for (const name of ["wid_reconcile_runs_total", "wid_reconcile_run_duration_seconds", "wid_changes_applied_total", "wid_identities", "wid_last_success_timestamp_seconds"]) {
      expect(text).toContain(`# HELP ${name} `);
    }
    expect(text).toContain("# TYPE wid_reconcile_runs_total counter");
    expect(text).toContain("# TYPE wid_reconcile_run_duration_seconds histogram");
    expect(text).toContain("# TYPE wid_identities gauge");
    expect(text).toContain('wid_reconcile_runs_total{outcome="success"} 1');
    expect(text).toContain('wid_reconcile_runs_total{outcome="failed"} 0');
    expect(text).toContain('wid_changes_applied_total{action="create"} 0');
    expect(text).toContain('wid_identities{state="pending-install"} 6');
    expect(text).toContain('wid_identities{state="not-installed"} 1');
    expect(text).toContain('wid_reconcile_run_duration_seconds_bucket{le="+Inf"} 1');
    expect(text).toContain("wid_reconcile_run_duration_seconds_count 1");
    expect(text).toContain("wid_status_commits_total 1");
    expect(text).toContain("wid_reconcile_in_progress 0");
    expect(text).toMatch(/^wid_last_success_timestamp_seconds \d+(\.\d+)?$/m);
    expect(text).not.toMatch(/^wid_last_success_timestamp_seconds 0$/m);
  });

  it("serves mounted handlers", async () => {
    const response = await fetch(`${baseUrl}/.well-known/openid-configuration`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ issuer: "https://oidc.example.com" });
  });

  it("serves routes added later", async () => {
    daemon.router.add("POST", "/hooks/github-app", (_request, response) => sendJson(response, 202, { handled: true }));

    const response = await fetch(`${baseUrl}/hooks/github-app`, { method: "POST", body: "{}" });

    expect(response.status).toBe(202);
  });

  it("refuses a taken route", () => {
    expect(() => daemon.router.add("GET", "/metrics", () => undefined)).toThrow("route GET /metrics is already registered");
  });

  it("answers 405 to a wrong method", async () => {
    const response = await fetch(`${baseUrl}/metrics`, { method: "POST" });

    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET");
  });

  it("answers 404 to unknown paths", async () => {
    const response = await fetch(`${baseUrl}/hooks/github`, { method: "POST", body: "{}" });

    expect(response.status).toBe(404);
  });

  it("rejects a malformed request target", async () => {
    const port = daemon.httpAddress?.port ?? 0;

    expect(await rawGet(port, "//%%%/x")).toBe(400);
    expect((await fetch(`${baseUrl}/healthz`)).status).toBe(200);
  });
});
