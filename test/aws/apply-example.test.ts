import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import { GetOpenIDConnectProviderCommand, GetRoleCommand, GetRolePolicyCommand, ListRolesCommand, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import type { IAMClient } from "@aws-sdk/client-iam";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { canonicalPolicyJson } from "../../src/config/aws-policy/canonical.js";
import type { AwsProxy } from "../support/aws-proxy.js";
import { iamTotals, startAwsProxy } from "../support/aws-proxy.js";
import { runCli } from "../support/cli.js";
import type { MotoServer } from "../support/moto.js";
import { motoAvailability, motoEnv, startMoto } from "../support/moto.js";
import { copyExample, iamClient, readStatus, removeRepo } from "./helpers.js";

const availability = motoAvailability();

describe.skipIf(!availability.run)(`wid apply on the example repository ${availability.reason}`, () => {
  let moto: MotoServer;
  let proxy: AwsProxy;
  let iam: IAMClient;
  let repo: string;
  const env = (): Record<string, string> => motoEnv(proxy.endpoint);

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startAwsProxy({ target: moto.endpoint });
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

  it("creates the provider, roles, trust and inline policies", async () => {
    const applied = await runCli(["apply", repo], { env: env() });
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("created   oidc-provider/oidc.example.com");
    expect(applied.stdout).toContain("Apply complete: 9 created, 0 updated, 0 deleted, 0 unchanged, 0 failed.");

    const provider = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: "arn:aws:iam::123456789012:oidc-provider/oidc.example.com" }));
    expect(provider.ClientIDList).toEqual(["sts.amazonaws.com"]);
    expect(provider.Tags).toContainEqual({ Key: "wid:managed-by", Value: "wid" });

    const role = (await iam.send(new GetRoleCommand({ RoleName: "wid-aws-shop-assets" }))).Role;
    expect(role?.Path).toBe("/workload-identity/");
    expect(role?.Description).toBe("Read and write the shop asset bucket");
    expect(role?.Tags).toContainEqual({ Key: "wid:managed-by", Value: "wid" });
    expect(role?.Tags).toContainEqual({ Key: "wid:identity", Value: "aws-shop-assets" });
    const trust: unknown = JSON.parse(decodeURIComponent(role?.AssumeRolePolicyDocument ?? ""));
    expect(trust).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Federated: "arn:aws:iam::123456789012:oidc-provider/oidc.example.com" },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: { StringEquals: { "oidc.example.com:aud": "sts.amazonaws.com", "oidc.example.com:sub": "identity:aws-shop-assets" } },
        },
      ],
    });

    const policy = await iam.send(new GetRolePolicyCommand({ RoleName: "wid-aws-shop-assets", PolicyName: "wid-permissions" }));
    expect(canonicalPolicyJson(JSON.parse(decodeURIComponent(policy.PolicyDocument ?? "")))).toBe(
      canonicalPolicyJson({
        Version: "2012-10-17",
        Statement: [
          { Sid: "AssetObjects", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: "arn:aws:s3:::acme-shop-assets/*" },
          { Sid: "AssetBucket", Effect: "Allow", Action: "s3:ListBucket", Resource: "arn:aws:s3:::acme-shop-assets" },
        ],
      }),
    );
  });

  it("creates nothing for an install: false identity", async () => {
    await runCli(["apply", repo], { env: env() });
    const roles = (await iam.send(new ListRolesCommand({}))).Roles?.map((role) => role.RoleName);
    expect(roles).not.toContain("wid-aws-audit-reader");
    expect(roles).toContain("wid-aws-queue-consumer");

    const status = await readStatus(repo);
    expect(status.identities["aws-audit-reader"]?.state).toBe("not-installed");
    expect(status.identities["aws-audit-reader"]?.installedHash).toBeNull();
    expect(status.workloads["platform/audit-collector"]?.aws?.notInstalled).toEqual(["aws-audit-reader"]);
  });

  it("plans no changes after the apply", async () => {
    await runCli(["apply", repo], { env: env() });
    proxy.resetCounts();
    const planned = await runCli(["plan", repo], { env: env() });
    expect(planned.code).toBe(0);
    expect(planned.stdout).toContain("Plan: 0 to create, 0 to update, 0 to delete.");
    expect(planned.stdout).toContain("Pending install (install: false; nothing is applied):");
    expect(iamTotals(proxy.counts()).writes).toBe(0);
    expect(proxy.counts()["iam:GetRole"]).toBeUndefined();
    expect(proxy.counts()["iam:GetRolePolicy"]).toBeUndefined();
  });

  it("writes the status file with hashes, ARNs and workloads", async () => {
    await runCli(["apply", repo], { env: env() });
    const status = await readStatus(repo);
    const identity = status.identities["aws-queue-consumer"];
    expect(identity?.state).toBe("installed");
    expect(identity?.installedHash).toBe(identity?.desiredHash);
    expect(identity?.aws?.roleArn).toBe("arn:aws:iam::123456789012:role/workload-identity/wid-aws-queue-consumer");
    expect(identity?.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(identity?.workloads).toEqual(["platform/dead-letter-drain", "shop/order-worker"]);
    expect(status.integrations["aws-prod"]).toEqual({
      provider: "aws",
      state: "installed",
      installed: true,
      oidcProvider: "arn:aws:iam::123456789012:oidc-provider/oidc.example.com",
    });
    expect(status.workloads["shop/api"]?.aws?.ready).toBe(true);
    expect(status.workloads["shop/api"]?.aws?.env.AWS_ROLE_ARN).toBe("arn:aws:iam::123456789012:role/workload-identity/wid-aws-shop-assets");
    expect(status.workloads["shop/api"]?.aws?.createdAt).toBe(status.identities["aws-shop-assets"]?.createdAt);
  });

  it("shows a policy edited out of band as an update and restores it", async () => {
    await runCli(["apply", repo], { env: env() });
    const tampered = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["sqs:ReceiveMessage", "sqs:*"], Resource: "*" }] };
    await iam.send(new PutRolePolicyCommand({ RoleName: "wid-aws-queue-consumer", PolicyName: "wid-permissions", PolicyDocument: JSON.stringify(tampered) }));

    const planned = await runCli(["plan", repo], { env: env() });
    expect(planned.code).toBe(2);
    expect(planned.stdout).toContain("~ update role-policy/wid-aws-queue-consumer/wid-permissions (aws-prod/aws-queue-consumer): the installed policy differs from the file");
    expect(planned.stdout).toContain("+ sqs:DeleteMessage");
    expect(planned.stdout).toContain("- sqs:*");
    expect(planned.stdout).toContain("+ arn:aws:sqs:eu-west-1:123456789012:orders");
    expect(planned.stdout).toContain("Plan: 0 to create, 1 to update, 0 to delete.");

    const json = await runCli(["plan", repo, "--format", "json"], { env: env() });
    const plan = JSON.parse(json.stdout) as { changes: { diff?: { statements?: { actionsAdded: string[]; actionsRemoved: string[] }[] } }[] };
    expect(plan.changes[0]?.diff?.statements?.[0]?.actionsRemoved).toEqual(["sqs:*"]);
    expect(plan.changes[0]?.diff?.statements?.[0]?.actionsAdded).toEqual(["sqs:DeleteMessage", "sqs:GetQueueAttributes"]);

    const restored = await runCli(["apply", repo], { env: env() });
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain("updated   role-policy/wid-aws-queue-consumer/wid-permissions (aws-queue-consumer)");
    expect(restored.stdout).toContain("Apply complete: 0 created, 1 updated, 0 deleted, 8 unchanged, 0 failed.");
    expect((await runCli(["plan", repo], { env: env() })).code).toBe(0);
  });

  it("writes nothing for a scope-only change", async () => {
    await runCli(["apply", repo], { env: env() });
    const file = path.join(repo, "identities/aws-shop-readonly.yaml");
    await writeFile(file, (await readFile(file, "utf8")).replace("tags: [s3, catalog]", "tags: [catalog]"), "utf8");
    const before = await readStatus(repo);
    expect(before.workloads["shop/order-worker"]?.aws?.shadowed).toContain("aws-shop-readonly");

    proxy.resetCounts();
    const applied = await runCli(["apply", repo], { env: env() });
    expect(applied.code).toBe(0);
    expect(iamTotals(proxy.counts()).writes).toBe(0);
    const after = await readStatus(repo);
    expect(after.workloads["shop/order-worker"]?.aws?.shadowed).not.toContain("aws-shop-readonly");
    expect(after.identities["aws-shop-readonly"]?.installedHash).toBe(before.identities["aws-shop-readonly"]?.installedHash);
  });

  it("renders the plan for GitHub", async () => {
    const planned = await runCli(["plan", repo, "--format", "github"], { env: env() });
    expect(planned.code).toBe(2);
    expect(planned.stdout).toContain("### wid plan (compared with the cloud)");
    expect(planned.stdout).toContain("**Plan: 9 to create, 0 to update, 0 to delete.**");
    expect(planned.stdout).toContain("```diff\n  + create oidc-provider/oidc.example.com");
  });

  it("prints each outcome as JSON", async () => {
    const applied = await runCli(["apply", repo, "--format", "json"], { env: env() });
    expect(applied.code).toBe(0);
    const report = JSON.parse(applied.stdout) as { outcome: string; summary: Record<string, number>; outcomes: { resource: string; outcome: string }[] };
    expect(report.outcome).toBe("applied");
    expect(report.summary).toEqual({ created: 9, updated: 0, deleted: 0, unchanged: 0, failed: 0 });
    expect(report.outcomes).toContainEqual(expect.objectContaining({ resource: "role/wid-aws-reports-writer", outcome: "created" }));
  });
});
