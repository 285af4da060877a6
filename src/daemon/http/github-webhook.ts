import type { IncomingMessage, ServerResponse } from "node:http";

import type { Logger } from "pino";

import { isRecord } from "../../github/json.js";
import { headerValue, MAX_WEBHOOK_BODY_BYTES, readBody } from "../../github/webhook/body.js";
import { SIGNATURE_HEADER, verifySignature } from "../../github/webhook/signature.js";
import type { WebhookResult } from "../metrics/daemon-metrics.js";
import { sendJson } from "./router.js";

/** The path GitHub delivers webhooks to. */
export const GITHUB_WEBHOOK_PATH = "/hooks/github";

/** A verified delivery, passed to listeners. */
export interface GithubDelivery {
  /** The `X-GitHub-Event` header, such as `push` or `pull_request`. */
  event: string;
  /** The `X-GitHub-Delivery` header, or an empty string. */
  deliveryId: string;
  /** The parsed JSON payload; listeners check its shape themselves. */
  payload: unknown;
}

/** Reacts to a verified delivery of one event. Returns true when it acted on it. */
export type GithubEventListener = (delivery: GithubDelivery) => Promise<boolean> | boolean;

export interface GithubWebhookOptions {
  /** The webhook secret set in GitHub; every delivery must be signed with it. */
  secret: string;
  /** Push events for this branch trigger a run; pushes to other branches are ignored. */
  branch: string;
  /** Requests a run. The webhook only triggers it: the run reads the repository afresh. */
  triggerRun: (delivery: GithubDelivery) => void;
  /** Counts each delivery by result. */
  record?: (result: WebhookResult) => void;
  logger: Logger;
}

/**
 * The handler of `POST /hooks/github`. It verifies `X-Hub-Signature-256` (HMAC-SHA256
 * of the raw body with the secret, compared in constant time) before reading anything
 * else, responds 401 to a missing or wrong signature, and then dispatches the event:
 * a push to the branch triggers a run, `ping` is acknowledged, and any other event goes
 * to the listeners registered with {@link GithubWebhook.on}, such as a GitHub App's.
 */
export class GithubWebhook {
  private readonly listeners = new Map<string, GithubEventListener[]>();

  constructor(private readonly options: GithubWebhookOptions) {}

  /** Registers `listener` for deliveries of `event` (`push`, `pull_request`, ...). */
  on(event: string, listener: GithubEventListener): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
  }

  /** The route handler. */
  readonly handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const { logger } = this.options;
    const event = headerValue(request, "x-github-event") ?? "";
    const deliveryId = headerValue(request, "x-github-delivery") ?? "";

    // Read the raw body, bounded, because the signature covers its exact bytes.
    const body = await readBody(request, MAX_WEBHOOK_BODY_BYTES);
    if (body === null) {
      this.respond(response, 413, "invalid", { error: `the delivery is larger than ${MAX_WEBHOOK_BODY_BYTES} bytes` });
      return;
    }

    // Verify: nothing of an unsigned or wrongly signed delivery is read or acted on.
    if (!verifySignature(this.options.secret, body, headerValue(request, SIGNATURE_HEADER))) {
      logger.warn({ event, deliveryId }, "webhook signature rejected");
      this.respond(response, 401, "unauthorized", { error: "missing or invalid X-Hub-Signature-256; check the webhook secret" });
      return;
    }
    if (event === "") {
      this.respond(response, 400, "invalid", { error: "missing X-GitHub-Event header" });
      return;
    }
    const payload = parsePayload(body, headerValue(request, "content-type") ?? "");
    if (payload === undefined) {
      this.respond(response, 400, "invalid", { error: "the payload is not valid JSON" });
      return;
    }
    const delivery: GithubDelivery = { event, deliveryId, payload };

    // Dispatch: a push to the branch triggers a run; listeners see every event.
    let acted = false;
    for (const listener of this.listeners.get(event) ?? []) acted = (await listener(delivery)) || acted;
    if (event === "ping") {
      this.respond(response, 200, "ignored", { ok: true });
      return;
    }
    if (event === "push") {
      const ref = isRecord(payload) && typeof payload.ref === "string" ? payload.ref : "";
      if (ref === `refs/heads/${this.options.branch}`) {
        logger.info({ event, deliveryId, ref }, "webhook triggered a run");
        this.options.triggerRun(delivery);
        this.respond(response, 202, "accepted", { triggered: true });
        return;
      }
      this.respond(response, 200, acted ? "accepted" : "ignored", { triggered: false, reason: `push to ${ref || "an unknown ref"}, not to refs/heads/${this.options.branch}` });
      return;
    }
    this.respond(response, acted ? 202 : 200, acted ? "accepted" : "ignored", { triggered: false, handled: acted });
  };

  private respond(response: ServerResponse, status: number, result: WebhookResult, body: unknown): void {
    this.options.record?.(result);
    sendJson(response, status, body);
  }
}

/** GitHub sends JSON, or a form with the JSON in its `payload` field when the hook is set to that content type. */
function parsePayload(body: Buffer, contentType: string): unknown {
  const text = contentType.startsWith("application/x-www-form-urlencoded") ? (new URLSearchParams(body.toString("utf8")).get("payload") ?? "") : body.toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
