import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { RunReport } from "../../src/daemon/cycle.js";
import { Daemon } from "../../src/daemon/daemon.js";
import type { GithubDelivery } from "../../src/daemon/http/github-webhook.js";
import { MAX_WEBHOOK_BODY_BYTES } from "../../src/github/webhook/body.js";
import { signBody, verifySignature } from "../../src/github/webhook/signature.js";
import { GitFixture } from "../git/fixture.js";
import { captureLogger, collectRuns, testDaemonOptions, waitFor } from "./harness.js";
import type { CapturedLogger } from "./harness.js";

const SECRET = "webhook-secret-for-tests";

let fixture: GitFixture;
let daemon: Daemon;
let reports: RunReport[];
let captured: CapturedLogger;
let baseUrl: string;
const pullRequests: GithubDelivery[] = [];

beforeAll(async () => {
  fixture = await GitFixture.create();
  captured = captureLogger({ secrets: [SECRET] });
  daemon = await Daemon.start(testDaemonOptions(fixture, captured.logger, { http: { listen: { host: "127.0.0.1", port: 0 }, webhookSecret: SECRET } }));
  reports = collectRuns(daemon);
  daemon.webhook?.on("pull_request", (delivery) => {
    pullRequests.push(delivery);
    return true;
  });
  baseUrl = `http://127.0.0.1:${daemon.httpAddress?.port}`;
  await waitFor(() => reports.length === 1, 20_000, "the startup run");
});

afterAll(async () => {
  await daemon.stop("test finished");
  await fixture.cleanup();
});

async function deliver(event: string | undefined, body: string, signature: string | undefined, contentType = "application/json"): Promise<Response> {
  const headers: Record<string, string> = { "Content-Type": contentType, "X-GitHub-Delivery": "d-1" };
  if (event !== undefined) headers["X-GitHub-Event"] = event;
  if (signature !== undefined) headers["X-Hub-Signature-256"] = signature;
  return fetch(`${baseUrl}/hooks/github`, { method: "POST", headers, body });
}

/** Gives a wrongly triggered run time to start, so that its absence means something. */
async function quietPeriod(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 300));
}

describe("GitHub webhook", () => {
  it("runs on a signed push", async () => {
    const body = JSON.stringify({ ref: "refs/heads/main", after: "0".repeat(40) });

    const response = await deliver("push", body, signBody(SECRET, body));

    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ triggered: true });
    await waitFor(() => reports.length === 2, 20_000, "the webhook run");
    expect(reports[1]?.trigger).toBe("webhook");
    expect(reports[1]?.outcome).toBe("success");
  });

  it("rejects a wrong signature", async () => {
    const runs = reports.length;
    const body = JSON.stringify({ ref: "refs/heads/main" });

    const response = await deliver("push", body, signBody("another-secret", body));
    await quietPeriod();

    expect(response.status).toBe(401);
    expect(reports.length).toBe(runs);
    expect(daemon.metrics.render()).toMatch(/^wid_webhook_deliveries_total\{result="unauthorized"\} [1-9]/m);
  });

  it("rejects a missing signature", async () => {
    const runs = reports.length;

    const response = await deliver("push", JSON.stringify({ ref: "refs/heads/main" }), undefined);
    await quietPeriod();

    expect(response.status).toBe(401);
    expect(reports.length).toBe(runs);
  });

  it("rejects a signature of another body", async () => {
    const runs = reports.length;
    const signed = JSON.stringify({ ref: "refs/heads/other" });

    const response = await deliver("push", JSON.stringify({ ref: "refs/heads/main" }), signBody(SECRET, signed));
    await quietPeriod();

    expect(response.status).toBe(401);
    expect(reports.length).toBe(runs);
  });

  it("ignores pushes to other branches", async () => {
    const runs = reports.length;
    const body = JSON.stringify({ ref: "refs/heads/feature" });

    const response = await deliver("push", body, signBody(SECRET, body));
    await quietPeriod();

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ triggered: false });
    expect(reports.length).toBe(runs);
  });

  it("accepts form-encoded payloads", async () => {
    const runs = reports.length;
    const body = new URLSearchParams({ payload: JSON.stringify({ ref: "refs/heads/main" }) }).toString();

    const response = await deliver("push", body, signBody(SECRET, body), "application/x-www-form-urlencoded");

    expect(response.status).toBe(202);
    await waitFor(() => reports.length === runs + 1, 20_000, "the run");
  });

  it("answers ping without a run", async () => {
    const runs = reports.length;
    const body = JSON.stringify({ zen: "Keep it logically awesome." });

    const response = await deliver("ping", body, signBody(SECRET, body));
    await quietPeriod();

    expect(response.status).toBe(200);
    expect(reports.length).toBe(runs);
  });

  it("passes other events to listeners", async () => {
    const body = JSON.stringify({ action: "opened", number: 7 });

    const response = await deliver("pull_request", body, signBody(SECRET, body));

    expect(response.status).toBe(202);
    expect(pullRequests).toHaveLength(1);
    expect(pullRequests[0]?.payload).toEqual({ action: "opened", number: 7 });
  });

  it("rejects a missing event header", async () => {
    const body = JSON.stringify({ ref: "refs/heads/main" });

    const response = await deliver(undefined, body, signBody(SECRET, body));

    expect(response.status).toBe(400);
  });

  it("rejects invalid JSON", async () => {
    const body = "{not json";

    const response = await deliver("push", body, signBody(SECRET, body));

    expect(response.status).toBe(400);
  });

  it("rejects other content types", async () => {
    const runs = reports.length;
    const body = JSON.stringify({ ref: "refs/heads/main" });

    const response = await deliver("push", body, signBody(SECRET, body), "text/plain");
    await quietPeriod();

    expect(response.status).toBe(415);
    expect(await response.json()).toEqual({ error: expect.stringContaining("application/x-www-form-urlencoded") });
    expect(reports.length).toBe(runs);
  });

  it("signs a form over raw bytes", async () => {
    const runs = reports.length;
    const body = new URLSearchParams({ payload: JSON.stringify({ ref: "refs/heads/main" }) }).toString();
    const signedPayloadOnly = signBody(SECRET, JSON.stringify({ ref: "refs/heads/main" }));

    const response = await deliver("push", body, signedPayloadOnly, "application/x-www-form-urlencoded");
    await quietPeriod();

    expect(response.status).toBe(401);
    expect(reports.length).toBe(runs);
  });

  it("rejects a non-object payload", async () => {
    const body = JSON.stringify(["refs/heads/main"]);

    const response = await deliver("push", body, signBody(SECRET, body));

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "the body is not a JSON object" });
  });

  it("rejects an oversized delivery", async () => {
    const body = "x".repeat(MAX_WEBHOOK_BODY_BYTES + 1);

    const response = await deliver("push", body, signBody(SECRET, body));

    expect(response.status).toBe(413);
  });

  it("keeps the secret out of the log", () => {
    const log = captured.lines.join("");

    expect(log).not.toContain(SECRET);
    expect(captured.messages()).toContain("webhook signature rejected");
    expect(captured.messages()).toContain("webhook triggered a run");
  });
});

describe("verifySignature", () => {
  const body = Buffer.from('{"ref":"refs/heads/main"}');

  it.each([
    ["a missing header", undefined],
    ["no sha256 prefix", signBody(SECRET, body).slice("sha256=".length)],
    ["a sha1 header", `sha1=${"a".repeat(40)}`],
    ["a short digest", signBody(SECRET, body).slice(0, -2)],
    ["non-hex digits", `sha256=${"z".repeat(64)}`],
    ["another secret", signBody("other", body)],
  ])("rejects %s", (_case, header) => {
    expect(verifySignature(SECRET, body, header)).toBe(false);
  });

  it("accepts GitHub's signature", () => {
    // The example from GitHub's documentation on validating webhook deliveries.
    const signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    expect(verifySignature("It's a Secret to Everybody", Buffer.from("Hello, World!"), signature)).toBe(true);
  });
});
