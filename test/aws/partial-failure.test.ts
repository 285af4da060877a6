import { ListRolePoliciesCommand, ListRolesCommand, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import type { IAMClient } from "@aws-sdk/client-iam";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

import type { AwsProxy } from "../support/aws-proxy.js";
import { iamTotals, startAwsProxy } from "../support/aws-proxy.js";
import { runCli } from "../support/cli.js";
import type { MotoServer } from "../support/moto.js";
import { motoAvailability, motoEnv, startMoto } from "../support/moto.js";
import { createAdapters } from "../../src/providers/registry.js";
import { reconcile } from "../../src/reconcile/run.js";
import { awsIdentity, awsIntegration, iamClient, readStatus, removeRepo, SETTINGS, silentLogger, WORKLOAD, writeFiles, writeRepo } from "./helpers.js";

const availability = motoAvailability();

describe.skipIf(!availability.run)(`partial failures and IAM limits ${availability.reason}`, () => {
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
    proxy.failWhen(undefined);
    repo = await writeRepo({
      "settings.yaml": SETTINGS,
      "integrations/aws-prod.yaml": awsIntegration("aws-prod"),
      "identities/alpha.yaml": awsIdentity("alpha"),
      "identities/beta.yaml": awsIdentity("beta", { actions: ["s3:PutObject"] }),
      "identities/gamma.yaml": awsIdentity("gamma", { actions: ["s3:DeleteObject"] }),
      "workloads/shop.yaml": WORKLOAD,
    });
  });
  afterEach(async () => {
    await removeRepo(repo);
  });

  it("names each failed resource and converges on the next run", async () => {
    proxy.failWhen((call) => call.action === "PutRolePolicy" && call.params.get("RoleName") === "wid-beta");
    const failed = await runCli(["apply", repo], { env: env() });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain("failed    role-policy/wid-beta/wid-permissions (beta)");
    expect(failed.stdout).toContain(
      "iam:PutRolePolicy on role-policy/wid-beta/wid-permissions (integration aws-prod, identity beta) failed: AccessDenied: User: arn:aws:iam::123456789012:user/moto is not authorized to perform: iam:PutRolePolicy; grant iam:PutRolePolicy to the caller",
    );
    expect(failed.stdout).toContain("created   role/wid-beta (beta)");
    expect(failed.stdout).toContain("Apply failed: 6 created, 0 updated, 0 deleted, 0 unchanged, 1 failed.");
    expect(failed.stdout).toContain("Failed identities: beta (aws-prod).");
    expect(failed.stdout).not.toContain("Failed integrations:");

    const status = await readStatus(repo);
    expect(status.identities.beta?.state).toBe("failed");
    expect(status.identities.beta?.installedHash).toBeNull();
    expect(status.identities.alpha?.state).toBe("installed");
    expect(status.workloads["shop/api"]?.aws?.identity).toBe("alpha");

    proxy.failWhen(undefined);
    const planned = await runCli(["plan", repo], { env: env() });
    expect(planned.stdout).toContain("+ create role-policy/wid-beta/wid-permissions (aws-prod/beta): the role has no inline policy wid-permissions");
    expect(planned.stdout).toContain("Plan: 1 to create, 0 to update, 0 to delete.");

    const converged = await runCli(["apply", repo], { env: env() });
    expect(converged.code).toBe(0);
    expect((await readStatus(repo)).identities.beta?.state).toBe("installed");
  });

  it("checks the account again before writing", async () => {
    let callerChecks = 0;
    proxy.failWhen((call) => call.action === "GetCallerIdentity" && ++callerChecks === 2);
    const applied = await runCli(["apply", repo], { env: env() });
    expect(applied.code).toBe(1);
    expect(callerChecks).toBe(2);
    expect(iamTotals(proxy.counts()).writes).toBe(0);
    expect(applied.stdout).toContain("failed    oidc-provider/oidc.example.com");
    expect(applied.stdout).toContain("sts:GetCallerIdentity (integration aws-prod) failed: AccessDenied");
    expect(applied.stdout).toContain("Apply failed: 0 created, 0 updated, 0 deleted, 0 unchanged, 7 failed.");
    expect(applied.stdout).toContain("Failed integrations: aws-prod.");
    expect((await readStatus(repo)).integrations["aws-prod"]?.state).toBe("failed");
  });

  it("skips the rest of an identity after its role fails", async () => {
    proxy.failWhen((call) => call.action === "CreateRole" && call.params.get("RoleName") === "wid-gamma");
    const failed = await runCli(["apply", repo], { env: env() });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain("failed    role/wid-gamma (gamma)");
    expect(failed.stdout).toContain("not attempted because role/wid-gamma failed");
    const calls = proxy.calls().filter((call) => call.action === "PutRolePolicy" && call.params.get("RoleName") === "wid-gamma");
    expect(calls).toEqual([]);
  });

  it("stops waiting for a principal IAM never accepts", async () => {
    Object.assign(process.env, env());
    const invalidPrincipal = { status: 400, code: "MalformedPolicyDocument", message: "Invalid principal in policy" };
    proxy.failWhen((call) => call.action === "CreateRole", invalidPrincipal);
    const started = Date.now();
    const result = await reconcile({
      root: repo,
      adapters: createAdapters(),
      logger: silentLogger(),
      mode: "apply",
      writeStatus: false,
      applyOptions: { consistencyWait: { initialDelayMs: 50, maxDelayMs: 100, totalMs: 600 } },
    });
    expect(result.outcome).toBe("failed");
    expect(result.report?.summary.failed).toBe(6);
    expect(Date.now() - started).toBeLessThan(5_000);
    const createRoleCalls = proxy.counts()["iam:CreateRole"] ?? 0;
    const probeAttempts = createRoleCalls - 2;
    expect(probeAttempts).toBeGreaterThan(2);
    const failures = result.report?.outcomes.filter((outcome) => outcome.type === "role").map((outcome) => outcome.message) ?? [];
    expect(failures).toHaveLength(3);
    for (const message of failures) expect(message).toContain("MalformedPolicyDocument: Invalid principal in policy");
  });

  it("rejects a policy over IAM's size limit without writing", async () => {
    const actions = Array.from({ length: 400 }, (_, index) => `s3:GetObjectVersion${"X".repeat(20)}${index}`);
    await writeFiles(repo, { "identities/gamma.yaml": awsIdentity("gamma", { actions }) });

    const planned = await runCli(["plan", repo], { env: env() });
    expect(planned.code).toBe(1);
    expect(planned.stdout).not.toContain("role/wid-gamma");

    proxy.resetCounts();
    const applied = await runCli(["apply", repo], { env: env() });
    expect(applied.code).toBe(1);
    const roles = ((await iam.send(new ListRolesCommand({}))).Roles ?? []).map((role) => role.RoleName).sort();
    expect(roles).toEqual(["wid-alpha", "wid-beta"]);
    expect(proxy.calls().filter((call) => call.params.get("RoleName") === "wid-gamma")).toEqual([]);
    expect(iamTotals(proxy.counts()).writes).toBe(5);
    expect((await readStatus(repo)).identities.gamma?.state).toBe("invalid");
  });

  it("deletes outside inline policies first", async () => {
    expect((await runCli(["apply", repo], { env: env() })).code).toBe(0);
    const resources = (bucket: string): string[] => Array.from({ length: 150 }, (_, index) => `arn:aws:s3:::${bucket}/${"x".repeat(20)}${index}`);
    const extra = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: resources("theirs") }] });
    await iam.send(new PutRolePolicyCommand({ RoleName: "wid-gamma", PolicyName: "added-by-hand", PolicyDocument: extra }));
    await writeFiles(repo, { "identities/gamma.yaml": awsIdentity("gamma", { resource: `[${resources("ours").join(", ")}]` }) });

    // IAM counts every inline policy of a role against one limit of 10,240 characters.
    let handPolicy = true;
    proxy.failWhen(
      (call) => {
        if (call.action === "DeleteRolePolicy" && call.params.get("PolicyName") === "added-by-hand") handPolicy = false;
        return call.action === "PutRolePolicy" && call.params.get("RoleName") === "wid-gamma" && handPolicy;
      },
      { status: 409, code: "LimitExceeded", message: "Maximum policy size of 10240 bytes exceeded for role wid-gamma" },
    );

    const applied = await runCli(["apply", repo], { env: env() });
    expect(applied.stdout).toContain("Apply complete");
    expect(applied.code).toBe(0);
    const names = (await iam.send(new ListRolePoliciesCommand({ RoleName: "wid-gamma" }))).PolicyNames;
    expect(names).toEqual(["wid-permissions"]);
  });

  it("fails a quota error without retries", async () => {
    proxy.failWhen((call) => call.action === "CreateRole" && call.params.get("RoleName") === "wid-gamma", {
      status: 409,
      code: "LimitExceeded",
      message: "Cannot exceed quota for RolesPerAccount: 1000",
    });

    const applied = await runCli(["apply", repo], { env: env() });
    expect(applied.code).toBe(1);
    expect(applied.stdout).toContain("LimitExceeded: Cannot exceed quota for RolesPerAccount: 1000");
    expect(proxy.calls().filter((call) => call.action === "CreateRole" && call.params.get("RoleName") === "wid-gamma")).toHaveLength(1);
    expect((await readStatus(repo)).identities.alpha?.state).toBe("installed");
  });

  it("rejects a role name over IAM's limit", async () => {
    await writeFiles(repo, { "integrations/aws-prod.yaml": awsIntegration("aws-prod", "123456789012", `    roleNamePrefix: ${"p".repeat(60)}-\n`) });
    const planned = await runCli(["plan", repo], { env: env() });
    expect(planned.code).toBe(1);
    expect(`${planned.stdout}${planned.stderr}`).toContain("over the IAM limit of 64");
  });
});
