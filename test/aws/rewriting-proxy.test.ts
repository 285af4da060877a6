import { PutRolePolicyCommand } from "@aws-sdk/client-iam";
import type { IAMClient } from "@aws-sdk/client-iam";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

import type { AwsProxy } from "../support/aws-proxy.js";
import { iamTotals, rewriteDocuments, startAwsProxy } from "../support/aws-proxy.js";
import { runCli } from "../support/cli.js";
import type { MotoServer } from "../support/moto.js";
import { motoAvailability, motoEnv, startMoto } from "../support/moto.js";
import { copyExample, iamClient, readStatus, removeRepo } from "./helpers.js";

const availability = motoAvailability();

describe("rewriting proxy", () => {
  it("returns documents URL-encoded, collapsed and reordered", () => {
    const document = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: ["a", "b"] }] });
    const rewritten = rewriteDocuments(`<GetRolePolicyResult><PolicyDocument>${document}</PolicyDocument></GetRolePolicyResult>`);
    const encoded = /<PolicyDocument>([^<]*)<\/PolicyDocument>/.exec(rewritten)?.[1] ?? "";
    expect(encoded.startsWith("%7B")).toBe(true);
    const decoded = decodeURIComponent(encoded);
    expect(decoded).toBe('{"Statement":{"Resource":["b","a"],"Action":"s3:GetObject","Effect":"Allow"},"Version":"2012-10-17"}');
  });
});

describe.skipIf(!availability.run)(`apply through a proxy that answers like IAM ${availability.reason}`, () => {
  let moto: MotoServer;
  let proxy: AwsProxy;
  let iam: IAMClient;
  let repo: string;
  const env = (): Record<string, string> => motoEnv(proxy.endpoint);

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startAwsProxy({ target: moto.endpoint, rewriteDocuments: true, throttleShare: 0.1, invalidPrincipalAfterProvider: true, seed: 7 });
    iam = iamClient(moto.endpoint);
  });
  afterAll(async () => {
    await proxy?.stop();
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto.reset();
    proxy.resetCounts();
    repo = await copyExample();
  });
  afterEach(async () => {
    await removeRepo(repo);
  });

  it("converges despite throttling and a provider IAM does not see yet", async () => {
    const applied = await runCli(["apply", repo], { env: env() });
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("Apply complete: 9 created, 0 updated, 0 deleted, 0 unchanged, 0 failed.");
    expect(proxy.injected().MalformedPolicyDocument).toBe(1);
    expect(proxy.injected().Throttling).toBeGreaterThan(0);
    expect((await readStatus(repo)).identities["aws-shop-assets"]?.state).toBe("installed");
  });

  it("plans no changes for a converged config", async () => {
    await runCli(["apply", repo], { env: env() });
    proxy.resetCounts();
    const planned = await runCli(["plan", repo], { env: env() });
    expect(planned.stdout).toContain("Plan: 0 to create, 0 to update, 0 to delete.");
    expect(planned.code).toBe(0);
    expect(iamTotals(proxy.counts()).writes).toBe(0);

    const again = await runCli(["apply", repo], { env: env() });
    expect(again.stdout).toContain("Apply complete: 0 created, 0 updated, 0 deleted, 9 unchanged, 0 failed.");
  });

  it("still sees a real change behind the rewriting", async () => {
    await runCli(["apply", repo], { env: env() });
    const widened = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject"], Resource: "arn:aws:s3:::acme-reports/*" }] };
    await iam.send(new PutRolePolicyCommand({ RoleName: "wid-aws-reports-writer", PolicyName: "wid-permissions", PolicyDocument: JSON.stringify(widened) }));

    const planned = await runCli(["plan", repo], { env: env() });
    expect(planned.code).toBe(2);
    expect(planned.stdout).toContain("statement 0 changed: - s3:DeleteObject");
    expect(planned.stdout).toContain("Plan: 0 to create, 1 to update, 0 to delete.");
    expect((await runCli(["apply", repo], { env: env() })).code).toBe(0);
    expect((await runCli(["plan", repo], { env: env() })).code).toBe(0);
  });
});
