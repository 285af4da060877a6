import type { ServerResponse } from "node:http";

import { PROMETHEUS_CONTENT_TYPE } from "../metrics/registry.js";
import type { RouteHandler } from "./router.js";
import { sendJson } from "./router.js";

/** The last finished run, as the health endpoints report it. */
export interface LastRun {
  /** Unix time in milliseconds. */
  finishedAt: number;
  outcome: string;
  revision: string | null;
}

/** Daemon state that the health endpoints read. */
export interface HealthSource {
  stopping(): boolean;
  lastRun(): LastRun | null;
  /** The daemon is ready while its last run finished at most this long ago. */
  readyWithinMs: number;
  now(): number;
}

/** `GET /healthz`: 200 while the process serves requests and is not shutting down, otherwise 503. */
export function healthzHandler(source: HealthSource): RouteHandler {
  return (_request, response) => {
    if (source.stopping()) sendJson(response, 503, { status: "stopping" });
    else sendJson(response, 200, { status: "ok" });
  };
}

/**
 * `GET /readyz`: 200 when the last run, whatever its outcome, finished within
 * `readyWithinMs`; 503 before the first run finishes, when runs have stalled, and
 * during shutdown. The body names the last run's time, outcome and revision.
 */
export function readyzHandler(source: HealthSource): RouteHandler {
  return (_request, response) => {
    const last = source.lastRun();
    const body = last === null ? { lastRun: null } : { lastRun: { finishedAt: new Date(last.finishedAt).toISOString(), outcome: last.outcome, revision: last.revision } };
    if (source.stopping()) return sendJson(response, 503, { status: "stopping", ...body });
    if (last === null) return sendJson(response, 503, { status: "waiting for the first run", ...body });
    const age = source.now() - last.finishedAt;
    if (age > source.readyWithinMs) return sendJson(response, 503, { status: "stalled", ageSeconds: Math.round(age / 1000), ...body });
    return sendJson(response, 200, { status: "ready", ...body });
  };
}

/** `GET /metrics`: the Prometheus text exposition. */
export function metricsHandler(render: () => string): RouteHandler {
  return (_request, response: ServerResponse) => {
    const text = render();
    response.writeHead(200, { "Content-Type": PROMETHEUS_CONTENT_TYPE, "Content-Length": Buffer.byteLength(text), "Cache-Control": "no-store" });
    response.end(text);
  };
}
