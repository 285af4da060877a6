import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { IssuerMount } from "../../src/daemon/http/issuer.js";
import { createKeySet } from "../../src/issuer/key-rotation.js";
import { StaticKeySetSource } from "../../src/issuer/key-source.js";
import { captureLogger } from "./harness.js";

let mount: IssuerMount;
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  mount = new IssuerMount(new StaticKeySetSource(await createKeySet("ES256", new Date()), "test keys"), captureLogger().logger);
  server = createServer((request, response) => {
    if (mount.handle(request, response) === false) {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("IssuerMount", () => {
  it("answers 503 until the issuer is known", async () => {
    const jwks = await fetch(`${baseUrl}/.well-known/jwks.json`);
    const other = await fetch(`${baseUrl}/tenant/.well-known/jwks.json`);

    expect(jwks.status).toBe(503);
    expect(other.status).toBe(404);
  });

  it("follows a change of the issuer URL", async () => {
    mount.setIssuer("https://oidc.example.com");
    const first = (await (await fetch(`${baseUrl}/.well-known/openid-configuration`)).json()) as { issuer: string };
    mount.setIssuer("https://example.com/tenant");
    const second = await fetch(`${baseUrl}/tenant/.well-known/openid-configuration`);

    expect(first.issuer).toBe("https://oidc.example.com");
    expect(second.status).toBe(200);
    expect(((await second.json()) as { issuer: string }).issuer).toBe("https://example.com/tenant");
  });
});
