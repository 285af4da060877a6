import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

import type { Settings } from "../config/model.js";
import { requestPathname } from "../http/request-path.js";
import { DISCOVERY_CACHE_CONTROL, DISCOVERY_PATH, discoveryDocument, issuerPathPrefix, jwks, JWKS_CACHE_CONTROL, JWKS_PATH } from "./discovery.js";
import type { KeySet } from "./key-set.js";
import type { KeySetSource } from "./key-source.js";
import { StaticKeySetSource } from "./key-source.js";

/**
 * Handles a request when its path is one of the issuer's, and returns whether it did.
 * A server mounts it first and falls through to its own routes on false.
 */
export type IssuerRequestHandler = (request: IncomingMessage, response: ServerResponse) => boolean;

export interface IssuerRoutesOptions {
  /** Current time, for choosing the published keys. Default: the system clock. */
  clock?: () => Date;
  /** Called with an error that made a response fail, such as an unreadable key file. */
  onError?: (error: unknown) => void;
}

/**
 * Creates the handler of the discovery document and the JWKS. Both are served at the
 * issuer URL's path followed by `/.well-known/openid-configuration` and
 * `/.well-known/jwks.json`, and also at those paths alone, for a proxy that strips the
 * issuer's path. GET and HEAD are answered with `Cache-Control` and an `ETag`, and
 * `If-None-Match` with 304; other methods get 405. The JWKS is built on every request,
 * so with a {@link KeySetSource} that reads a file, such as `FileKeySetSource`, a rotated
 * or retired key shows without a restart. A plain key set is served as it is.
 */
export function createIssuerRoutes(keySource: KeySetSource | KeySet, settings: Pick<Settings, "issuer">, options: IssuerRoutesOptions = {}): IssuerRequestHandler {
  const keys = "load" in keySource ? keySource : new StaticKeySetSource(keySource, "key set");
  const clock = options.clock ?? (() => new Date());
  const prefix = issuerPathPrefix(settings.issuer);
  const discoveryBody = JSON.stringify(discoveryDocument(settings.issuer), null, 2);
  const routes = new Map<string, () => Promise<{ body: string; cacheControl: string }>>();
  const discovery = async () => ({ body: discoveryBody, cacheControl: DISCOVERY_CACHE_CONTROL });
  const keySet = async () => ({ body: JSON.stringify(jwks(await keys.load(), clock()), null, 2), cacheControl: JWKS_CACHE_CONTROL });
  for (const base of new Set([prefix, ""])) {
    routes.set(`${base}${DISCOVERY_PATH}`, discovery);
    routes.set(`${base}${JWKS_PATH}`, keySet);
  }

  return (request, response) => {
    const pathname = requestPathname(request);
    const route = pathname === undefined ? undefined : routes.get(pathname);
    if (route === undefined) return false;

    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "application/json" });
      response.end(JSON.stringify({ error: "method not allowed" }));
      return true;
    }
    route().then(
      ({ body, cacheControl }) => respond(request, response, body, cacheControl),
      (error: unknown) => {
        options.onError?.(error);
        response.writeHead(503, { "Content-Type": "application/json", "Cache-Control": "no-store" });
        response.end(JSON.stringify({ error: "signing keys unavailable" }));
      },
    );
    return true;
  };
}

function respond(request: IncomingMessage, response: ServerResponse, body: string, cacheControl: string): void {
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
  const headers = { "Content-Type": "application/json", "Cache-Control": cacheControl, ETag: etag };
  if (request.headers["if-none-match"] === etag) {
    response.writeHead(304, headers);
    response.end();
    return;
  }
  response.writeHead(200, { ...headers, "Content-Length": Buffer.byteLength(body) });
  response.end(request.method === "HEAD" ? undefined : body);
}
