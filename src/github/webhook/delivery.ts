import type { IncomingMessage } from "node:http";

import type { JsonRecord } from "../json.js";
import { isRecord } from "../json.js";
import { headerValue, MAX_WEBHOOK_BODY_BYTES, readBody } from "./body.js";
import { SIGNATURE_HEADER, verifySignature } from "./signature.js";

/** A delivery whose signature was verified and whose payload is a JSON object. */
export interface VerifiedDelivery {
  /** The `X-GitHub-Event` header, such as `push` or `pull_request`. */
  event: string;
  /** The `X-GitHub-Delivery` header, or an empty string. */
  deliveryId: string;
  payload: JsonRecord;
}

/**
 * A rejected delivery: the HTTP status and the message for the response body. The
 * result is `unauthorized` for a missing or wrong signature and `invalid` otherwise.
 */
export interface DeliveryRejection {
  status: 400 | 401 | 413 | 415;
  result: "unauthorized" | "invalid";
  error: string;
}

/** The outcome of reading a delivery: exactly one of its two fields is set. */
export type DeliveryRead = { delivery: VerifiedDelivery; rejection?: undefined } | { delivery?: undefined; rejection: DeliveryRejection };

/** The content types GitHub sends a webhook payload with, as set in the webhook's settings. */
const JSON_TYPE = "application/json";
const FORM_TYPE = "application/x-www-form-urlencoded";

/**
 * Reads and verifies a GitHub webhook delivery; every webhook entry point of wid uses it.
 * The raw body may be at most 25 MB (413 beyond). `X-Hub-Signature-256` is checked
 * against `secret` over those exact bytes before anything else is read (401 when missing
 * or wrong). Then `X-GitHub-Event` must be set (400 without it). GitHub sends the payload
 * as `application/json` or as `application/x-www-form-urlencoded` with the JSON in the
 * `payload` field. Both are accepted, other content types get 415, and a payload that is
 * not a JSON object gets 400.
 */
export async function readDelivery(request: IncomingMessage, secret: string): Promise<DeliveryRead> {
  const body = await readBody(request, MAX_WEBHOOK_BODY_BYTES);
  if (body === null) return reject(413, "invalid", `the delivery is larger than ${MAX_WEBHOOK_BODY_BYTES} bytes`);

  // Nothing of an unsigned or wrongly signed delivery is read or acted on.
  if (!verifySignature(secret, body, headerValue(request, SIGNATURE_HEADER))) {
    return reject(401, "unauthorized", "missing or invalid X-Hub-Signature-256; check the webhook secret");
  }
  const event = headerValue(request, "x-github-event") ?? "";
  if (event === "") return reject(400, "invalid", "missing X-GitHub-Event header");

  const mediaType = (headerValue(request, "content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (mediaType !== JSON_TYPE && mediaType !== FORM_TYPE) {
    return reject(415, "invalid", `content type ${mediaType || "(none)"} is not supported; set the webhook's content type to ${JSON_TYPE} or ${FORM_TYPE}`);
  }
  const payload = parsePayload(body, mediaType);
  if (payload === undefined) {
    const where = mediaType === FORM_TYPE ? "the payload field of the form" : "the body";
    return reject(400, "invalid", `${where} is not a JSON object`);
  }
  return { delivery: { event, deliveryId: headerValue(request, "x-github-delivery") ?? "", payload } };
}

function parsePayload(body: Buffer, mediaType: string): JsonRecord | undefined {
  const text = mediaType === FORM_TYPE ? (new URLSearchParams(body.toString("utf8")).get("payload") ?? "") : body.toString("utf8");
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function reject(status: DeliveryRejection["status"], result: DeliveryRejection["result"], error: string): DeliveryRead {
  return { rejection: { status, result, error } };
}
