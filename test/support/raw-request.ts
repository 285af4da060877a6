import { connect } from "node:net";

/**
 * Sends `GET TARGET HTTP/1.1` to 127.0.0.1:`port` with the request target written
 * verbatim, which `fetch` would normalize, and resolves with the response's status
 * code, or null when the connection closed without a response.
 */
export function rawGet(port: number, target: string): Promise<number | null> {
  return new Promise((resolve) => {
    let received = "";
    const socket = connect(port, "127.0.0.1", () => socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      const match = /^HTTP\/1\.1 (\d{3})/.exec(received);
      resolve(match?.[1] === undefined ? null : Number(match[1]));
    });
  });
}
