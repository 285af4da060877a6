import { execFile } from "node:child_process";
import { mkdir, mkdtemp, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { beforeAll, describe, expect, it } from "vitest";

import { runCli } from "../support/cli.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TSC = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
const run = promisify(execFile);

/**
 * A program outside the repository that imports the built package by name, as a user
 * would after `npm install`. It mounts the issuer routes in its own server on
 * 127.0.0.1, fetches the JWKS, then mints a token and verifies it against that JWKS.
 */
const CONSUMER = `
import http from "node:http";
import { createIssuerRoutes, FileKeySetSource, TokenSigner, verifyIssuerToken } from "wid/issuer";
import { createGithubWebhookHandler, offlinePlanner, verifySignature } from "wid/github";

const issuer = "https://oidc.example.com";
const source = new FileKeySetSource(process.argv[2] ?? "");
const routes = createIssuerRoutes(source, { issuer });
const server = http.createServer((request, response) => {
  if (routes(request, response)) return;
  response.writeHead(404);
  response.end();
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
const address = server.address();
const port = typeof address === "object" && address !== null ? address.port : 0;
const jwks = await (await fetch("http://127.0.0.1:" + port + "/.well-known/jwks.json")).json();
server.close();

const minted = await new TokenSigner(source).mint({ issuer, identity: "reports", audience: "sts.amazonaws.com", lifetimeSeconds: 600 });
const verified = await verifyIssuerToken(minted.token, { issuer, audiences: ["sts.amazonaws.com"], jwks });
const github = [typeof createGithubWebhookHandler, typeof offlinePlanner, typeof verifySignature];
console.log(JSON.stringify({ kids: jwks.keys.map((key) => key.kid), kid: minted.kid, sub: verified.claims.sub, github }));
`;

let consumer: string;
let keys: string;

beforeAll(async () => {
  // node_modules/wid links to the repository, whose exports point into the built dist.
  consumer = await mkdtemp(path.join(tmpdir(), "wid-consumer-"));
  await mkdir(path.join(consumer, "node_modules"));
  await symlink(ROOT, path.join(consumer, "node_modules", "wid"), "dir");
  await symlink(path.join(ROOT, "node_modules", "@types"), path.join(consumer, "node_modules", "@types"), "dir");
  await writeFile(path.join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  keys = path.join(consumer, "keys.json");
  expect((await runCli(["issuer", "init", "--keys", keys, "--alg", "ES256"])).code).toBe(0);
});

describe("package exports", () => {
  it("imports wid/issuer and wid/github by name", async () => {
    await writeFile(path.join(consumer, "consumer.mjs"), CONSUMER);
    const { stdout } = await run(process.execPath, ["consumer.mjs", keys], { cwd: consumer });
    const result = JSON.parse(stdout) as { kids: string[]; kid: string; sub: string; github: string[] };

    expect(result.kids).toEqual([result.kid]);
    expect(result.sub).toBe("identity:reports");
    expect(result.github).toEqual(["function", "function", "function"]);
  });

  it("type-checks a consumer against the declarations", async () => {
    await writeFile(path.join(consumer, "consumer.ts"), CONSUMER.replace("jwks.keys.map((key) =>", "jwks.keys.map((key: { kid: string }) =>"));
    const tsconfig = { compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", strict: true, noEmit: true, skipLibCheck: true, types: ["node"] }, files: ["consumer.ts"] };
    await writeFile(path.join(consumer, "tsconfig.json"), JSON.stringify(tsconfig));

    const checked = await run(process.execPath, [TSC, "-p", "tsconfig.json"], { cwd: consumer }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error) }));
    expect(checked.stdout).toBe("");
  });

  it("keeps internal modules private", async () => {
    const script = 'import("wid/dist/issuer/routes.js").then(() => console.log("imported"), (error) => console.log(error.code));';
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: consumer });
    expect(stdout.trim()).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED");
  });
});
