import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

import type { Logger } from "pino";

import type { Router } from "./router.js";

/** Host and port to listen on. Port 0 picks a free port. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** A running HTTP server. */
export interface HttpServer {
  /** The address it listens on, with the port actually bound. */
  address: ListenAddress;
  /** Stops accepting connections, closes open ones and resolves when the server is closed. */
  close(): Promise<void>;
}

/** Requests that take longer than this, headers and body together, are cut off. */
const REQUEST_TIMEOUT_MS = 30_000;

/** Starts an HTTP server that passes every request to `router`. */
export async function startHttpServer(listen: ListenAddress, router: Router, logger: Logger): Promise<HttpServer> {
  const server = createServer((request, response) => {
    void router.handle(request, response);
  });
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = REQUEST_TIMEOUT_MS;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (error) => logger.error({ err: error }, "http server error"));

  const bound: AddressInfo | string | null = server.address();
  const address = { host: listen.host, port: typeof bound === "object" && bound !== null ? bound.port : listen.port };
  logger.info({ host: address.host, port: address.port }, "http server listening");

  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
