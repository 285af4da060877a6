/**
 * A git smart-HTTP server on 127.0.0.1 for tests: git's own `git http-backend` (run as
 * a CGI program) behind a Basic authentication check, so that clones and pushes over
 * http exercise the real protocol and the real credential exchange. It models one
 * user with one token and records the Authorization header of every request. It does
 * not model TLS, rate limits or any host's permission model.
 */

import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";

import { freePort } from "../support/moto.js";
import { TEST_GIT_ENV } from "./fixture.js";

export interface GitHttpServer {
  /** `http://127.0.0.1:PORT`; a repository `X.git` under the project root is at `${url}/X.git`. */
  url: string;
  /** Authorization headers received, in order; undefined for requests without one. */
  authorizations: (string | undefined)[];
  stop(): Promise<void>;
}

/** Serves the bare repositories under `projectRoot`, for `username` with `token` only. */
export async function startGitHttpServer(options: { projectRoot: string; username: string; token: string }): Promise<GitHttpServer> {
  const expected = `Basic ${Buffer.from(`${options.username}:${options.token}`).toString("base64")}`;
  const authorizations: (string | undefined)[] = [];

  const server = createServer((request, response) => {
    authorizations.push(request.headers.authorization);
    if (request.headers.authorization !== expected) {
      response.writeHead(401, { "WWW-Authenticate": 'Basic realm="git"', "Content-Type": "text/plain" });
      response.end("authentication required\n");
      return;
    }
    serveWithBackend(request, response, options.projectRoot, options.username);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));

  return {
    url: `http://127.0.0.1:${port}`,
    authorizations,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function serveWithBackend(request: IncomingMessage, response: ServerResponse, projectRoot: string, user: string): void {
  const url = new URL(request.url ?? "/", "http://127.0.0.1");
  const backend = spawn("git", ["http-backend"], {
    env: {
      ...TEST_GIT_ENV,
      GIT_PROJECT_ROOT: projectRoot,
      GIT_HTTP_EXPORT_ALL: "1",
      PATH_INFO: url.pathname,
      QUERY_STRING: url.search.replace(/^\?/, ""),
      REQUEST_METHOD: request.method ?? "GET",
      CONTENT_TYPE: request.headers["content-type"] ?? "",
      ...(request.headers["content-length"] !== undefined ? { CONTENT_LENGTH: request.headers["content-length"] } : {}),
      ...(request.headers["content-encoding"] !== undefined ? { HTTP_CONTENT_ENCODING: request.headers["content-encoding"] } : {}),
      ...(request.headers["git-protocol"] !== undefined ? { GIT_PROTOCOL: String(request.headers["git-protocol"]) } : {}),
      REMOTE_USER: user,
      REMOTE_ADDR: "127.0.0.1",
    },
    stdio: ["pipe", "pipe", "inherit"],
  });
  request.pipe(backend.stdin);

  // A CGI response: header lines, a blank line, then the body.
  let buffered = Buffer.alloc(0);
  let headersDone = false;
  backend.stdout.on("data", (chunk: Buffer) => {
    if (headersDone) {
      response.write(chunk);
      return;
    }
    buffered = Buffer.concat([buffered, chunk]);
    const end = buffered.indexOf("\r\n\r\n");
    if (end === -1) return;
    headersDone = true;
    let status = 200;
    for (const line of buffered.subarray(0, end).toString("latin1").split("\r\n")) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
      else response.setHeader(name, value);
    }
    response.writeHead(status);
    response.write(buffered.subarray(end + 4));
  });
  backend.on("close", () => response.end());
}
