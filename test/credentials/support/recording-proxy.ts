import { createServer, request as httpRequest } from "node:http";
import type { IncomingHttpHeaders } from "node:http";

/** One request that passed through the proxy. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RecordingProxy {
  /** `http://127.0.0.1:PORT`, to use as AWS_ENDPOINT_URL. */
  endpoint: string;
  requests: RecordedRequest[];
  stop(): Promise<void>;
}

/**
 * Starts an HTTP proxy on 127.0.0.1 that forwards every request unchanged to `target`
 * and records it. moto accepts any web identity token, so the tests read the token the
 * SDK sent from the recorded AssumeRoleWithWebIdentity request and verify it themselves.
 */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const requests: RecordedRequest[] = [];
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: incoming.method ?? "", url: incoming.url ?? "", headers: incoming.headers, body: body.toString("utf8") });
      const forwarded = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
        (response) => {
          outgoing.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(outgoing);
        },
      );
      forwarded.on("error", (error) => {
        outgoing.writeHead(502);
        outgoing.end(error.message);
      });
      forwarded.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Returns the form parameters of the recorded STS AssumeRoleWithWebIdentity calls. */
export function assumeRoleCalls(requests: readonly RecordedRequest[]): URLSearchParams[] {
  return requests
    .map((request) => new URLSearchParams(request.method === "POST" ? request.body : (request.url.split("?")[1] ?? "")))
    .filter((params) => params.get("Action") === "AssumeRoleWithWebIdentity");
}

/** Returns the access key IDs in the SigV4 `Authorization` headers of recorded S3 requests. */
export function signingAccessKeys(requests: readonly RecordedRequest[]): string[] {
  const keys: string[] = [];
  for (const request of requests) {
    const match = /Credential=([^/]+)\/[^/]+\/[^/]+\/s3\//.exec(String(request.headers.authorization ?? ""));
    if (match?.[1] !== undefined) keys.push(match[1]);
  }
  return keys;
}
