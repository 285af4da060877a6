import type { IncomingMessage, ServerResponse } from "node:http";

import type { Logger } from "pino";

import { headerValue } from "../../github/webhook/body.js";
import type { VerifiedDelivery } from "../../github/webhook/delivery.js";
import { readDelivery } from "../../github/webhook/delivery.js";
import type { WebhookResult } from "../metrics/daemon-metrics.js";
import { sendJson } from "./router.js";

/** The path GitHub delivers webhooks to. */
export const GITHUB_WEBHOOK_PATH = "/hooks/github";

/** A verified delivery, passed to listeners: its event, delivery id and JSON object payload. */
export type GithubDelivery = VerifiedDelivery;

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
 * The handler of `POST /hooks/github`. It reads and verifies the delivery with
 * `readDelivery`, which also serves the standalone App webhook. It then dispatches the event:
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
    const { delivery, rejection } = await readDelivery(request, this.options.secret);
    if (rejection !== undefined) {
      const fields = { event: headerValue(request, "x-github-event"), deliveryId: headerValue(request, "x-github-delivery"), status: rejection.status };
      if (rejection.result === "unauthorized") logger.warn(fields, "webhook signature rejected");
      else logger.info({ ...fields, reason: rejection.error }, "webhook delivery rejected");
      this.respond(response, rejection.status, rejection.result, { error: rejection.error });
      return;
    }
    const { event, deliveryId, payload } = delivery;

    // Dispatch: a push to the branch triggers a run; listeners see every event.
    let acted = false;
    for (const listener of this.listeners.get(event) ?? []) acted = (await listener(delivery)) || acted;
    if (event === "ping") {
      this.respond(response, 200, "ignored", { ok: true });
      return;
    }
    if (event === "push") {
      const ref = typeof payload.ref === "string" ? payload.ref : "";
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
