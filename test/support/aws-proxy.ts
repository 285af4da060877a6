/**
 * A rewriting HTTP proxy between the AWS SDK and moto, on 127.0.0.1. It makes moto
 * respond more like real AWS in the ways that break IAM tools:
 * - policy documents in responses come back URL-encoded, with one-element lists
 *   collapsed to their element, and every list and every object's keys in reverse order;
 * - a share of calls gets a `Throttling` error instead of reaching moto;
 * - the first CreateRole after each CreateOpenIDConnectProvider fails with
 *   `MalformedPolicyDocument: Invalid principal in policy`, as IAM does until a new
 *   provider is known everywhere;
 * - chosen calls can be failed with AccessDenied, to test partial failures.
 * It counts every call by `service:Action`, as seen on the wire, so that benchmarks and
 * tests measure the calls wid makes without trusting wid's own accounting.
 *
 * What it does not model: IAM's real rate limits, its validation of policies and names
 * (moto's applies), or any delay of eventual consistency besides the one CreateRole.
 */

import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";

export interface AwsProxyOptions {
  /** moto's endpoint, such as `http://127.0.0.1:PORT`. */
  target: string;
  /** Rewrite policy documents in responses the way AWS returns them. Default false. */
  rewriteDocuments?: boolean;
  /** Share of calls, 0 to 1, that get a Throttling error. Default 0. */
  throttleShare?: number;
  /** Fail the first CreateRole after each CreateOpenIDConnectProvider. Default false. */
  invalidPrincipalAfterProvider?: boolean;
  /** Seed of the pseudo-random throttling, so runs repeat. Default 1. */
  seed?: number;
}

export interface AwsProxy {
  /** `http://127.0.0.1:PORT`, for AWS_ENDPOINT_URL. */
  endpoint: string;
  /** Calls by `service:Action`, including the ones that got an injected error. */
  counts(): Record<string, number>;
  /** Injected errors by code. */
  injected(): Record<string, number>;
  /** Every call since the last reset, in arrival order. */
  calls(): ProxiedCall[];
  /** Clears the counts and the call log. */
  resetCounts(): void;
  /**
   * Fails calls for which `match` returns true, with AccessDenied unless `error` names
   * another error, until cleared with undefined.
   */
  failWhen(match: ((call: ProxiedCall) => boolean) | undefined, error?: InjectedError): void;
  stop(): Promise<void>;
}

/** An error response the proxy sends instead of forwarding a call. */
export interface InjectedError {
  status: number;
  code: string;
  message: string;
}

/** One call as it arrived at the proxy. */
export interface ProxiedCall {
  service: string;
  action: string;
  params: URLSearchParams;
}

/** IAM calls that change nothing. */
export function isReadAction(action: string): boolean {
  return /^(Get|List|Simulate|Generate)/.test(action);
}

/** Sums counts of IAM calls, split into reads and writes. */
export function iamTotals(counts: Record<string, number>): { reads: number; writes: number } {
  let reads = 0;
  let writes = 0;
  for (const [key, count] of Object.entries(counts)) {
    const [service, action = ""] = key.split(":");
    if (service !== "iam") continue;
    if (isReadAction(action)) reads += count;
    else writes += count;
  }
  return { reads, writes };
}

export async function startAwsProxy(options: AwsProxyOptions): Promise<AwsProxy> {
  const counts = new Map<string, number>();
  const log: ProxiedCall[] = [];
  const injected = new Map<string, number>();
  const random = seededRandom(options.seed ?? 1);
  let armed = false;
  let failMatch: ((call: ProxiedCall) => boolean) | undefined;
  let failError: InjectedError | undefined;
  const bump = (map: Map<string, number>, key: string): void => {
    map.set(key, (map.get(key) ?? 0) + 1);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const body = await readBody(request);
    const params = new URLSearchParams(body.toString("utf8"));
    const call: ProxiedCall = { service: serviceOf(request), action: params.get("Action") ?? "Unknown", params };
    bump(counts, `${call.service}:${call.action}`);
    log.push(call);

    if ((options.throttleShare ?? 0) > 0 && random() < (options.throttleShare ?? 0)) {
      bump(injected, "Throttling");
      return sendError(response, 400, "Throttling", "Rate exceeded");
    }
    if (failMatch?.(call) === true) {
      const error = failError ?? { status: 403, code: "AccessDenied", message: `User: arn:aws:iam::123456789012:user/moto is not authorized to perform: ${call.service}:${call.action}` };
      bump(injected, error.code);
      return sendError(response, error.status, error.code, error.message);
    }
    if (armed && call.action === "CreateRole") {
      armed = false;
      bump(injected, "MalformedPolicyDocument");
      return sendError(response, 400, "MalformedPolicyDocument", "Invalid principal in policy: \"FEDERATED\"");
    }

    const upstream = await fetch(`${options.target}${request.url ?? "/"}`, {
      method: request.method ?? "POST",
      headers: forwardHeaders(request),
      ...(body.length > 0 ? { body } : {}),
    });
    let text = await upstream.text();
    if (upstream.ok && call.action === "CreateOpenIDConnectProvider" && options.invalidPrincipalAfterProvider === true) armed = true;
    if (options.rewriteDocuments === true) text = rewriteDocuments(text);
    response.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "text/xml" });
    response.end(text);
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(502, { "content-type": "text/plain" });
      response.end(`aws proxy error: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts: () => Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : 1))),
    injected: () => Object.fromEntries(injected),
    calls: () => [...log],
    resetCounts: () => {
      counts.clear();
      log.length = 0;
      injected.clear();
    },
    failWhen: (match, error) => {
      failMatch = match;
      failError = error;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const DOCUMENT_ELEMENTS = ["AssumeRolePolicyDocument", "PolicyDocument", "Document"];

/** Rewrites every policy document in an XML response as AWS returns it. */
export function rewriteDocuments(xml: string): string {
  let rewritten = xml;
  for (const element of DOCUMENT_ELEMENTS) {
    const pattern = new RegExp(`<${element}>([^<]*)</${element}>`, "g");
    rewritten = rewritten.replace(pattern, (whole, content: string) => {
      const json = parseDocument(unescapeXml(content));
      if (json === undefined) return whole;
      return `<${element}>${encodeURIComponent(JSON.stringify(scramble(json)))}</${element}>`;
    });
  }
  return rewritten;
}

/** Collapses one-element lists, and reverses every list and every object's keys. */
export function scramble(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(scramble).reverse();
    return items.length === 1 ? items[0] : items;
  }
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).reverse().map(([key, item]) => [key, scramble(item)]));
  }
  return value;
}

function parseDocument(text: string): unknown {
  const candidates = text.trim().startsWith("{") ? [text] : [safeDecode(text)];
  for (const candidate of candidates) {
    if (candidate === undefined) continue;
    try {
      return JSON.parse(candidate) as unknown;
    } catch {
      // Not a JSON document; leave it as it is.
    }
  }
  return undefined;
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function unescapeXml(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function serviceOf(request: IncomingMessage): string {
  const authorization = request.headers.authorization ?? "";
  return /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(authorization)?.[1] ?? "unknown";
}

function forwardHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || ["host", "content-length", "connection", "transfer-encoding"].includes(name)) continue;
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

function sendError(response: ServerResponse, status: number, code: string, message: string): void {
  response.writeHead(status, { "content-type": "text/xml" });
  response.end(
    `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`,
  );
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

/** Mulberry32: a small seeded generator, so injected faults repeat from run to run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A policy with the shapes IAM rewrites: lists, a single action, conditions with lists and booleans. */
export const SAMPLE_POLICY = {
  Version: "2012-10-17",
  Statement: [
    { Sid: "Objects", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: ["arn:aws:s3:::b/*"] },
    {
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: "arn:aws:s3:::b",
      Condition: { StringEquals: { "aws:ResourceAccount": ["123456789012"] }, Bool: { "aws:SecureTransport": true } },
    },
  ],
};
