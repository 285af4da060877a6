import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import type { JSONWebKeySet } from "jose";
import { createLocalJWKSet, jwtVerify } from "jose";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { StatusFile } from "../../src/status/types.js";
import { runCli } from "../support/cli.js";
import type { FakeGcp } from "../support/fake-gcp.js";
import { fakeGcpEnv, startFakeGcp } from "../support/fake-gcp.js";
import type { MotoServer } from "../support/moto.js";
import { motoAvailability, motoEnv, startMoto } from "../support/moto.js";
import { parseEnvFile, runNodeScript } from "./support/child.js";
import { GCP_PROJECT, MOTO_ACCOUNT_ID, TEST_ISSUER, writeConfigRepo } from "./support/config-repo.js";
import type { RecordingProxy } from "./support/recording-proxy.js";
import { assumeRoleCalls, signingAccessKeys, startRecordingProxy } from "./support/recording-proxy.js";

const moto = motoAvailability();
const CHILD = fileURLToPath(new URL("./fixtures/s3-put-get.mjs", import.meta.url));
const BUCKET = "wid-assets";
const ROLE_PATH = "/workload-identity/wid-assets-writer";

describe.skipIf(!moto.run)(`AWS credentials against moto ${moto.reason}`, () => {
  let server: MotoServer;
  let proxy: RecordingProxy;
  let gcp: FakeGcp;
  let gcpEnv: Record<string, string>;

  beforeAll(async () => {
    // Node 20 makes the AWS SDK print a support warning; the clients of this test need no such notice.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
    server = await startMoto();
    proxy = await startRecordingProxy(server.endpoint);
    // The config repository also has a Google Cloud integration, which apply installs in the fake.
    gcp = await startFakeGcp({ projects: [{ projectId: GCP_PROJECT.projectId, projectNumber: GCP_PROJECT.projectNumber }] });
    gcpEnv = await fakeGcpEnv(gcp, await mkdtemp(path.join(tmpdir(), "wid-aws-gcp-")));
  });

  afterAll(async () => {
    await gcp?.stop();
    await proxy?.stop();
    await server?.stop();
  });

  /** Runs wid apply on the repository in `region`, and returns the status file it wrote. */
  async function apply(repo: string, region: string): Promise<StatusFile> {
    const applied = await runCli(["apply", repo], { env: { ...motoEnv(server.endpoint), AWS_REGION: region, ...gcpEnv } });
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("Apply complete: ");
    return parse(await readFile(path.join(repo, ".wid/status.yaml"), "utf8")) as StatusFile;
  }

  /** Reads a role's ARN from moto, as IAM reports it in `region`'s partition. */
  async function roleArnInMoto(region: string): Promise<string | undefined> {
    const iam = new IAMClient({ endpoint: server.endpoint, region, credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });
    try {
      return (await iam.send(new GetRoleCommand({ RoleName: "wid-assets-writer" }))).Role?.Arn;
    } finally {
      iam.destroy();
    }
  }

  it("lets an SDK with no keys put and get an object", async () => {
    const repo = await writeConfigRepo();
    const work = await mkdtemp(path.join(tmpdir(), "wid-aws-"));
    const keys = path.join(work, "keys.json");
    const out = path.join(work, "out");
    expect((await runCli(["issuer", "init", "--keys", keys])).code).toBe(0);

    // wid apply creates the OIDC provider and the identity's role with its trust and policy.
    const status = await apply(repo, "us-east-1");
    const roleArn = `arn:aws:iam::${MOTO_ACCOUNT_ID}:role${ROLE_PATH}`;
    expect(status.identities["assets-writer"]?.state).toBe("installed");
    expect(status.identities["assets-writer"]?.aws?.roleArn).toBe(roleArn);
    expect(await roleArnInMoto("us-east-1")).toBe(roleArn);
    const admin = new S3Client({ endpoint: server.endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });
    await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
    admin.destroy();

    const written = await runCli(["credentials", repo, "--workload", "shop/worker", "--out", out, "--keys", keys]);
    expect(written.stderr).not.toContain("error");
    expect(written.code).toBe(0);
    const env = parseEnvFile(await readFile(path.join(out, "aws.env"), "utf8"));
    expect(env).toEqual({ AWS_ROLE_ARN: roleArn, AWS_WEB_IDENTITY_TOKEN_FILE: path.join(out, "awstoken") });

    // A separate process with only the written environment, the endpoint and a region.
    const child = await runNodeScript(CHILD, { ...env, AWS_ENDPOINT_URL: proxy.endpoint, AWS_REGION: "us-east-1" }, [BUCKET, "hello.txt", "hello from wid"]);
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

  it("writes the role ARN of an aws-us-gov account", async () => {
    // moto names resources in the partition of the request's region, as AWS GovCloud does.
    const region = "us-gov-west-1";
    const repo = await writeConfigRepo();
    const work = await mkdtemp(path.join(tmpdir(), "wid-aws-gov-"));
    const keys = path.join(work, "keys.json");
    const out = path.join(work, "out");
    expect((await runCli(["issuer", "init", "--keys", keys])).code).toBe(0);

    const status = await apply(repo, region);
    const roleArn = `arn:aws-us-gov:iam::${MOTO_ACCOUNT_ID}:role${ROLE_PATH}`;
    expect(await roleArnInMoto(region)).toBe(roleArn);
    expect(status.identities["assets-writer"]?.aws?.roleArn).toBe(roleArn);
    expect(status.workloads["shop/worker"]?.aws?.env.AWS_ROLE_ARN).toBe(roleArn);
    expect(status.integrations["aws-test"]?.oidcProvider).toMatch(/^arn:aws-us-gov:iam::/);

    const written = await runCli(["credentials", repo, "--workload", "shop/worker", "--out", out, "--keys", keys]);
    expect(written.code).toBe(0);
    expect(parseEnvFile(await readFile(path.join(out, "aws.env"), "utf8")).AWS_ROLE_ARN).toBe(roleArn);

    // The plan against the cloud maps workloads to the same ARN.
    const planned = await runCli(["plan", repo, "--format", "json"], { env: { ...motoEnv(server.endpoint), AWS_REGION: region, ...gcpEnv } });
    expect(planned.code).toBe(0);
    const plan = JSON.parse(planned.stdout) as { workloads: StatusFile["workloads"] };
    expect(plan.workloads["shop/worker"]?.aws?.env.AWS_ROLE_ARN).toBe(roleArn);
  });
});
