import { createServer } from "node:http";
import type { Server } from "node:http";

import { requestPathname } from "../http/request-path.js";
import { IssuerError } from "./errors.js";
import type { IssuerRequestHandler } from "./routes.js";

/** Address `wid issuer serve` listens on unless `--listen` says otherwise: loopback only. */
export const DEFAULT_LISTEN_ADDRESS = "127.0.0.1:8080";

/** A host and TCP port to listen on. */
export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * Parses `HOST:PORT`, `[IPV6]:PORT` or `PORT` (on 127.0.0.1). Port 0 picks a free port.
 * Throws an {@link IssuerError} naming the value otherwise.
 */
export function parseListenAddress(text: string): ListenAddress {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):)?(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (match === null || port > 65_535) {
    throw new IssuerError(`listen address ${JSON.stringify(text)} is invalid; use HOST:PORT such as 127.0.0.1:8080, or 0.0.0.0:8080 behind a TLS proxy`);
  }
  const host = (match[1] ?? "127.0.0.1").replace(/^\[(.*)\]$/, "$1");
  return { host, port };
}

/** A running HTTP server. */
export interface RunningServer {
  /** The base URL with the actual port, such as `http://127.0.0.1:8080`. */
  url: string;
  /** Stops accepting connections and resolves when open ones are closed. */
  close(): Promise<void>;
}

/**
 * Starts a plain HTTP server that answers the issuer's routes and 404 otherwise. TLS is
 * left to a proxy or load balancer in front, because verifiers fetch the issuer over https.
 */
export async function startIssuerServer(routes: IssuerRequestHandler, address: ListenAddress): Promise<RunningServer> {
  const server: Server = createServer((request, response) => {
    if (requestPathname(request) === undefined) {
      response.writeHead(400, { "Content-Type": "application/json" });
      response.end(JSON.stringify({ error: "the request target is not a valid path" }));
      return;
    }
    if (routes(request, response)) return;
    response.writeHead(404, { "Content-Type": "application/json" });
    response.end(JSON.stringify({ error: "not found" }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) => reject(new IssuerError(`cannot listen on ${address.host}:${address.port}: ${error.message}`, { cause: error })));
    server.listen(address.port, address.host, () => resolve());
  });

  const bound = server.address();
  const port = typeof bound === "object" && bound !== null ? bound.port : address.port;
  const host = address.host.includes(":") ? `[${address.host}]` : address.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
