import type { IncomingMessage, ServerResponse } from "node:http";

import type { Logger } from "pino";

import { requestPathname } from "../../http/request-path.js";

/** Handles a request to one route. */
export type RouteHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void> | void;

/**
 * Handles any request it recognizes and returns true, or returns false without writing
 * anything so that the next mounted handler is asked. The issuer's discovery document
 * and JWKS are served through one.
 */
export type MountedHandler = (request: IncomingMessage, response: ServerResponse) => Promise<boolean> | boolean;

/** HTTP methods a route can be registered for. A GET route also handles HEAD. */
export type RouteMethod = "GET" | "POST" | "PUT" | "DELETE";

/**
 * Dispatches requests by exact path and method, then to mounted handlers in the order
 * they were mounted, then responds 404. Other parts of wid register their routes here
 * before the server starts or while it runs.
 */
export class Router {
  private readonly routes = new Map<string, Map<string, RouteHandler>>();
  private readonly mounted: MountedHandler[] = [];

  constructor(private readonly logger: Logger) {}

  /** Registers `handler` for `method` and `path`. Throws when the pair is taken. */
  add(method: RouteMethod, path: string, handler: RouteHandler): void {
    if (!path.startsWith("/")) throw new Error(`route path ${path} must start with /`);
    const methods = this.routes.get(path) ?? new Map<string, RouteHandler>();
    if (methods.has(method)) throw new Error(`route ${method} ${path} is already registered`);
    methods.set(method, handler);
    this.routes.set(path, methods);
  }

  /** Adds a handler that is asked about every request that matches no route. */
  mount(handler: MountedHandler): void {
    this.mounted.push(handler);
  }

  /** Handles one request. A handler that throws results in a 500 response and a log line. */
  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? "GET";
    const path = requestPathname(request);
    if (path === undefined) {
      sendJson(response, 400, { error: "the request target is not a valid path" });
      return;
    }
    try {
      const methods = this.routes.get(path);
      if (methods !== undefined) {
        const handler = methods.get(method) ?? (method === "HEAD" ? methods.get("GET") : undefined);
        if (handler === undefined) {
          response.setHeader("Allow", [...methods.keys()].join(", "));
          sendJson(response, 405, { error: `method ${method} is not allowed on ${path}` });
          return;
        }
        await handler(request, response);
        return;
      }
      for (const handler of this.mounted) {
        if (await handler(request, response)) return;
      }
      sendJson(response, 404, { error: `no route for ${path}` });
    } catch (error) {
      this.logger.error({ err: error, method, path }, "http handler failed");
      if (!response.headersSent) sendJson(response, 500, { error: "internal error; see the daemon's log" });
      else response.destroy();
    }
  }
}

/** Writes `body` as a JSON response with `status`. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  response.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text), "Cache-Control": "no-store" });
  response.end(text);
}
