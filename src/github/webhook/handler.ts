import type { IncomingMessage, ServerResponse } from "node:http";

import { headerValue } from "./body.js";
import { readDelivery } from "./delivery.js";
import type { GithubEventOptions } from "./dispatch.js";
import { createGithubEventDispatcher } from "./dispatch.js";

export { MAX_WEBHOOK_BODY_BYTES } from "./body.js";

export interface GithubWebhookOptions extends GithubEventOptions {
  /** The webhook secret of the App; deliveries not signed with it get 401. */
  secret: string;
}

/** A Node request handler for GitHub App webhook deliveries. */
export interface GithubWebhookHandler {
  (request: IncomingMessage, response: ServerResponse): void;
  /** Resolves once every accepted delivery has been processed, for shutdown and tests. */
  idle(): Promise<void>;
}

/**
 * Creates a standalone GitHub App webhook handler. Each delivery is read and verified
 * as the daemon's webhook reads it (see `readDelivery`): a missing or wrong
 * `X-Hub-Signature-256` gets 401 and nothing else happens, and a JSON or form-encoded
 * payload is accepted. A verified delivery then goes to
 * {@link createGithubEventDispatcher}, which plans pull requests and triggers a
 * reconcile on a push. Throws at creation when an option is missing or malformed.
 */
export function createGithubWebhookHandler(options: GithubWebhookOptions): GithubWebhookHandler {
  if (typeof options.secret !== "string" || options.secret === "") throw new TypeError("createGithubWebhookHandler: secret must be the non-empty webhook secret");
  const dispatcher = createGithubEventDispatcher(options);
  const logger = options.logger;

  const handler = (request: IncomingMessage, response: ServerResponse): void => {
    const log = logger.child({ event: headerValue(request, "x-github-event"), deliveryId: headerValue(request, "x-github-delivery") });
    if (request.method !== "POST") {
      reply(response, 405, { error: "only POST is accepted" }, { allow: "POST" });
      return;
    }

    readDelivery(request, options.secret)
      .then(({ delivery, rejection }) => {
        if (rejection !== undefined) {
          if (rejection.result === "unauthorized") log.warn({ status: rejection.status }, "webhook signature rejected");
          else log.info({ status: rejection.status, reason: rejection.error }, "webhook delivery rejected");
          return reply(response, rejection.status, { error: rejection.error });
        }

        const result = dispatcher.dispatch(delivery.event, delivery.payload, log);
        log.info({ status: result.status, result: result.body.status ?? result.body.error, reason: result.body.reason }, "webhook delivery handled");
        return reply(response, result.status, result.body);
      })
      .catch((error: unknown) => {
        log.error({ err: error }, "webhook delivery failed");
        if (!response.headersSent) reply(response, 500, { error: "internal error" });
      });
  };

  return Object.assign(handler, { idle: () => dispatcher.idle() });
}

function reply(response: ServerResponse, status: number, body: Record<string, string>, headers: Record<string, string> = {}): void {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(`${JSON.stringify(body)}\n`);
}
