import type { IncomingMessage, ServerResponse } from "node:http";

import type { JsonRecord } from "../json.js";
import { isRecord } from "../json.js";
import { headerValue, MAX_WEBHOOK_BODY_BYTES, readBody } from "./body.js";
import type { GithubEventOptions } from "./dispatch.js";
import { createGithubEventDispatcher } from "./dispatch.js";
import { SIGNATURE_HEADER, verifySignature } from "./signature.js";

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
 * Creates a standalone GitHub App webhook handler. Each delivery's
 * `X-Hub-Signature-256` is verified against `secret` (401 when missing or wrong, and
 * nothing else happens); a verified JSON delivery then goes to
 * {@link createGithubEventDispatcher}, which plans pull requests and triggers a
 * reconcile on a push. The daemon verifies deliveries itself and uses the dispatcher
 * directly. Throws at creation when an option is missing or malformed.
 */
export function createGithubWebhookHandler(options: GithubWebhookOptions): GithubWebhookHandler {
  if (typeof options.secret !== "string" || options.secret === "") throw new TypeError("createGithubWebhookHandler: secret must be the non-empty webhook secret");
  const dispatcher = createGithubEventDispatcher(options);
  const logger = options.logger;

  const handler = (request: IncomingMessage, response: ServerResponse): void => {
    const delivery = headerValue(request, "x-github-delivery");
    const event = headerValue(request, "x-github-event");
    const log = logger.child({ delivery, event });
    if (request.method !== "POST") {
      reply(response, 405, { error: "only POST is accepted" }, { allow: "POST" });
      return;
    }

    readBody(request, MAX_WEBHOOK_BODY_BYTES)
      .then((body) => {
        if (body === null) return reply(response, 413, { error: `the body exceeds ${MAX_WEBHOOK_BODY_BYTES} bytes` });
        if (!verifySignature(options.secret, body, headerValue(request, SIGNATURE_HEADER))) {
          log.warn({}, "webhook signature rejected");
          return reply(response, 401, { error: "missing or invalid X-Hub-Signature-256" });
        }
        if (event === undefined) return reply(response, 400, { error: "missing X-GitHub-Event header" });
        if (!(headerValue(request, "content-type") ?? "").startsWith("application/json")) {
          return reply(response, 415, { error: "set the webhook content type to application/json" });
        }
        const payload = parseJson(body);
        if (payload === undefined) return reply(response, 400, { error: "the body is not a JSON object" });

        const result = dispatcher.dispatch(event, payload, log);
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

function parseJson(body: Buffer): JsonRecord | undefined {
  try {
    const value: unknown = JSON.parse(body.toString("utf8"));
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function reply(response: ServerResponse, status: number, body: Record<string, string>, headers: Record<string, string> = {}): void {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(`${JSON.stringify(body)}\n`);
}
