import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { createKeySet, rotateKeySet } from "../../src/issuer/key-rotation.js";
import { writeKeySetFile } from "../../src/issuer/key-file.js";
import type { KeySet } from "../../src/issuer/key-set.js";
import { FileKeySetSource } from "../../src/issuer/key-source.js";
import { createIssuerRoutes } from "../../src/issuer/routes.js";
import type { RunningServer } from "../../src/issuer/server.js";
import { parseListenAddress, startIssuerServer } from "../../src/issuer/server.js";
import { runCli } from "../support/cli.js";
import { writeConfigRepo } from "../credentials/support/config-repo.js";
import { rawGet } from "../support/raw-request.js";
import { startServe } from "./support/serve.js";

const running: RunningServer[] = [];

afterEach(async () => {
  for (const server of running.splice(0)) await server.close();
});

/** Serves the issuer routes of `keys`, a key set or a source, on a free port and returns the base URL. */
async function serve(issuer: string, keys: KeySet | FileKeySetSource, errors: unknown[] = []): Promise<string> {
  const server = await startIssuerServer(createIssuerRoutes(keys, { issuer }, { onError: (error) => errors.push(error) }), { host: "127.0.0.1", port: 0 });
  running.push(server);
  return server.url;
}

describe("issuer routes", () => {
  it("serves the discovery document with the exact issuer", async () => {
    const issuer = "https://login.example.com/tenants/blue";
    const url = await serve(issuer, await createKeySet("RS256", new Date()));

    const response = await fetch(`${url}/tenants/blue/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("cache-control")).toBe("public, max-age=3600");
    const document = (await response.json()) as Record<string, unknown>;
    expect(document.issuer).toBe(issuer);
    expect(document.jwks_uri).toBe(`${issuer}/.well-known/jwks.json`);
    expect(document.id_token_signing_alg_values_supported).toEqual(["RS256", "ES256"]);
    expect(document.subject_types_supported).toEqual(["public"]);
    expect(document.response_types_supported).toEqual(["id_token"]);

    // A proxy that strips the issuer's path reaches the same document.
    expect(await (await fetch(`${url}/.well-known/openid-configuration`)).json()).toEqual(document);
  });

  it("serves the JWKS with public keys only", async () => {
    const keySet = await createKeySet("ES256", new Date());
    const url = await serve("https://oidc.wid.test", keySet);

    const response = await fetch(`${url}/.well-known/jwks.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("public, max-age=300");
    const body = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(body.keys).toHaveLength(1);
    expect(body.keys[0]).toMatchObject({ kty: "EC", crv: "P-256", kid: keySet.keys[0]?.kid, alg: "ES256", use: "sig" });
    expect(body.keys[0]).not.toHaveProperty("d");
  });

  it("drops private members from a public key", async () => {
    const created = await createKeySet("RS256", new Date());
    const keys = created.keys.map((key) => ({ ...key, publicJwk: { ...key.publicJwk, ...key.privateJwk } }));
    const url = await serve("https://oidc.wid.test", { ...created, keys });

    const body = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as { keys: Record<string, unknown>[] };

    expect(Object.keys(body.keys[0] ?? {}).sort()).toEqual(["alg", "e", "kid", "kty", "n", "use"]);
  });

  it("answers conditional requests with 304", async () => {
    const url = await serve("https://oidc.wid.test", await createKeySet("ES256", new Date()));
    const first = await fetch(`${url}/.well-known/jwks.json`);
    const etag = first.headers.get("etag") ?? "";
    expect(etag).toMatch(/^"[\w-]+"$/);

    const second = await fetch(`${url}/.well-known/jwks.json`, { headers: { "If-None-Match": etag } });
    expect(second.status).toBe(304);
    expect(second.headers.get("cache-control")).toBe("public, max-age=300");
  });

  it("rejects other methods and paths", async () => {
    const url = await serve("https://oidc.wid.test", await createKeySet("ES256", new Date()));

    const post = await fetch(`${url}/.well-known/jwks.json`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    const head = await fetch(`${url}/.well-known/jwks.json`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    expect((await fetch(`${url}/.well-known/other`)).status).toBe(404);
  });

  it("shows a rotated key without a restart", async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), "wid-routes-")), "keys.json");
    const initial = await createKeySet("RS256", new Date());
    await writeKeySetFile(file, initial);
    const url = await serve("https://oidc.wid.test", new FileKeySetSource(file));
    const kids = async (): Promise<unknown[]> => ((await (await fetch(`${url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
    expect(await kids()).toEqual([initial.keys[0]?.kid]);

    const { keySet, added } = await rotateKeySet(initial, { alg: "ES256", now: new Date() });
    await writeKeySetFile(file, keySet);
    expect(await kids()).toEqual([initial.keys[0]?.kid, added.kid]);
  });

  it("responds 503 when the key file breaks", async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), "wid-routes-")), "keys.json");
    await writeKeySetFile(file, await createKeySet("ES256", new Date()));
    const errors: unknown[] = [];
    const url = await serve("https://oidc.wid.test", new FileKeySetSource(file), errors);
    await writeFile(file, "{ not json", "utf8");

    const response = await fetch(`${url}/.well-known/jwks.json`);
    expect(response.status).toBe(503);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(errors).toHaveLength(1);
    // The discovery document does not depend on the keys.
    expect((await fetch(`${url}/.well-known/openid-configuration`)).status).toBe(200);
  });
});

describe("parseListenAddress", () => {
  it("accepts host and port forms", () => {
    expect(parseListenAddress("127.0.0.1:8080")).toEqual({ host: "127.0.0.1", port: 8080 });
    expect(parseListenAddress("9000")).toEqual({ host: "127.0.0.1", port: 9000 });
    expect(parseListenAddress("[::1]:443")).toEqual({ host: "::1", port: 443 });
    expect(parseListenAddress("0.0.0.0:0")).toEqual({ host: "0.0.0.0", port: 0 });
  });

  it("rejects malformed addresses", () => {
    for (const text of ["", "host:", ":80:90", "127.0.0.1:70000", "localhost:http"]) {
      expect(() => parseListenAddress(text), text).toThrow(/listen address .* is invalid/);
    }
  });
});

describe("wid issuer serve", () => {
  it("serves what wid issuer publish writes", async () => {
    const repo = await writeConfigRepo({ issuer: "https://oidc.wid.test/prod" });
    const work = await mkdtemp(path.join(tmpdir(), "wid-serve-"));
    const keys = path.join(work, "keys.json");
    expect((await runCli(["issuer", "init", "--keys", keys])).code).toBe(0);
    const published = path.join(work, "site");
    const publish = await runCli(["issuer", "publish", repo, "--keys", keys, "--out", published]);
    expect(publish.code, publish.stderr).toBe(0);
    expect(publish.stdout.trim().split("\n")).toEqual([
      path.join(published, "prod", ".well-known", "openid-configuration"),
      path.join(published, "prod", ".well-known", "jwks.json"),
    ]);

    const server = await startServe(repo, keys);
    try {
      for (const file of ["openid-configuration", "jwks.json"]) {
        const served = await (await fetch(`${server.url}/prod/.well-known/${file}`)).json();
        expect(served).toEqual(JSON.parse(await readFile(path.join(published, "prod", ".well-known", file), "utf8")));
      }
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(server.stderr()).toContain('"msg":"issuer server stopped"');
  });

  it("survives a malformed request target", async () => {
    const repo = await writeConfigRepo();
    const keys = path.join(await mkdtemp(path.join(tmpdir(), "wid-serve-")), "keys.json");
    expect((await runCli(["issuer", "init", "--keys", keys])).code).toBe(0);
    const server = await startServe(repo, keys);
    const port = Number(new URL(server.url).port);

    try {
      expect(await rawGet(port, "//%%%/x")).toBe(400);
      expect((await fetch(`${server.url}/.well-known/jwks.json`)).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it("rejects an invalid listen address", async () => {
    const repo = await writeConfigRepo();
    const keys = path.join(await mkdtemp(path.join(tmpdir(), "wid-serve-")), "keys.json");
    expect((await runCli(["issuer", "init", "--keys", keys])).code).toBe(0);
    const result = await runCli(["issuer", "serve", repo, "--keys", keys, "--listen", "localhost:http"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('wid: error: listen address "localhost:http" is invalid; use HOST:PORT such as 127.0.0.1:8080, or 0.0.0.0:8080 behind a TLS proxy\n');
  });
});
