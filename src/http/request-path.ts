import type { IncomingMessage } from "node:http";

/**
 * Returns the path of a request's target without its query, such as `/healthz`, or
 * undefined when the target is not a valid URL path. A client controls the target, and
 * one such as `//%%%/x` makes `new URL` throw, so servers respond 400 to undefined.
 */
export function requestPathname(request: IncomingMessage): string | undefined {
  if (!URL.canParse(request.url ?? "/", "http://localhost")) return undefined;
  return new URL(request.url ?? "/", "http://localhost").pathname;
}
