import type { IncomingMessage } from "node:http";

/**
 * Largest accepted delivery, in bytes. GitHub drops events whose payload exceeds 25 MB,
 * and a push that touches thousands of files can come close, so the limit matches it.
 */
export const MAX_WEBHOOK_BODY_BYTES = 25 * 1024 * 1024;

/**
 * Reads the whole raw body, which the signature covers byte for byte, or returns null
 * when it exceeds `maxBytes`. The rest of a large body is drained without being kept,
 * so that a 413 response still reaches the client.
 */
export function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    request.on("end", () => resolve(size > maxBytes ? null : Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

/** Returns the first value of a request header, or undefined when it is absent. */
export function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
