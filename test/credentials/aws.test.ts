import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import type { JSONWebKeySet } from "jose";
import { createLocalJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { runCli } from "../support/cli.js";
import type { MotoServer } from "../support/moto.js";
import { motoAvailability, motoEnv, startMoto } from "../support/moto.js";
import { createRoleInMoto } from "./support/aws-role.js";
import { parseEnvFile, runNodeScript } from "./support/child.js";
import { TEST_ISSUER, writeConfigRepo } from "./support/config-repo.js";
import type { RecordingProxy } from "./support/recording-proxy.js";
import { assumeRoleCalls, signingAccessKeys, startRecordingProxy } from "./support/recording-proxy.js";

const moto = motoAvailability();
const CHILD = fileURLToPath(new URL("./fixtures/s3-put-get.mjs", import.meta.url));
const BUCKET = "wid-assets";

describe.skipIf(!moto.run)(`AWS credentials against moto ${moto.reason}`, () => {
  let server: MotoServer;
  let proxy: RecordingProxy;

  beforeAll(async () => {
    server = await startMoto();
    proxy = await startRecordingProxy(server.endpoint);
  });

  afterAll(async () => {
    await proxy?.stop();
    await server?.stop();
  });

  it("lets an SDK with no keys put and get an object", async () => {
    const repo = await writeConfigRepo();
    const work = await mkdtemp(path.join(tmpdir(), "wid-aws-"));
    const keys = path.join(work, "keys.json");
    const out = path.join(work, "out");
    expect((await runCli(["issuer", "init", "--keys", keys])).code).toBe(0);

    // What wid apply would create: the OIDC provider and the identity's role.
    const roleArn = await createRoleInMoto(server.endpoint, {
      issuer: TEST_ISSUER,
      identity: "assets-writer",
      rolePath: "/workload-identity/",
      roleName: "wid-assets-writer",
      policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: `arn:aws:s3:::${BUCKET}/*` }] },
    });
    const admin = new S3Client({ endpoint: server.endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });
    await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
    admin.destroy();

    const written = await runCli(["credentials", repo, "--workload", "shop/worker", "--out", out, "--keys", keys]);
    expect(written.stderr).not.toContain("error");
    expect(written.code).toBe(0);
    const env = parseEnvFile(await readFile(path.join(out, "aws.env"), "utf8"));
    expect(env).toEqual({ AWS_ROLE_ARN: roleArn, AWS_WEB_IDENTITY_TOKEN_FILE: path.join(out, "awstoken") });

    // A separate process with only the written environment, the endpoint and a region.
    const child = await runNodeScript(CHILD, { ...env, AWS_ENDPOINT_URL: proxy.endpoint, AWS_REGION: motoEnv(server.endpoint).AWS_REGION ?? "" }, [BUCKET, "hello.txt", "hello from wid"]);
    expect(child.code, child.stderr).toBe(0);
    const result = JSON.parse(child.stdout) as { body: string; accessKeyId: string };
    expect(result.body).toBe("hello from wid");

    // The SDK assumed the role with the token from the file, then signed S3 calls with the session's keys.
    const calls = assumeRoleCalls(proxy.requests);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.get("RoleArn")).toBe(roleArn);
    const sentToken = calls[0]?.get("WebIdentityToken") ?? "";
    expect(sentToken).toBe(await readFile(path.join(out, "awstoken"), "utf8"));
    expect(result.accessKeyId).not.toBe("testing");
    expect(new Set(signingAccessKeys(proxy.requests))).toEqual(new Set([result.accessKeyId]));

    // moto does not check the token, so the test checks it against the published JWKS.
    const published = path.join(work, "published");
    expect((await runCli(["issuer", "publish", repo, "--keys", keys, "--out", published])).code).toBe(0);
    const jwks = JSON.parse(await readFile(path.join(published, ".well-known", "jwks.json"), "utf8")) as JSONWebKeySet;
    const { payload, protectedHeader } = await jwtVerify(sentToken, createLocalJWKSet(jwks), { issuer: TEST_ISSUER, audience: "sts.amazonaws.com" });
    expect(payload.sub).toBe("identity:assets-writer");
    expect(payload.iss).toBe(TEST_ISSUER);
    expect(payload.aud).toBe("sts.amazonaws.com");
    expect(payload.exp).toBe((payload.iat ?? 0) + 3600);
    expect(payload.exp).toBeGreaterThan(Date.now() / 1000);
    expect(payload.wid_project).toBe("shop");
    expect(payload.wid_workload).toBe("worker");
    expect(jwks.keys.map((key) => key.kid)).toContain(protectedHeader.kid);
  });
});
