import { rm } from "node:fs/promises";
import path from "node:path";

import { CreateRoleCommand, GetRoleCommand, GetRolePolicyCommand, ListRolesCommand, TagRoleCommand, UpdateAssumeRolePolicyCommand } from "@aws-sdk/client-iam";
import type { IAMClient } from "@aws-sdk/client-iam";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

import type { AwsProxy } from "../support/aws-proxy.js";
import { startAwsProxy } from "../support/aws-proxy.js";
import type { MotoServer } from "../support/moto.js";
import { motoAvailability, motoEnv, startMoto } from "../support/moto.js";
import { createAdapters } from "../../src/providers/registry.js";
import type { ReconcileResult } from "../../src/reconcile/run.js";
import { reconcile } from "../../src/reconcile/run.js";
import { awsIdentity, awsIntegration, iamClient, readStatus, removeRepo, SETTINGS, silentLogger, WORKLOAD, writeFiles, writeRepo } from "./helpers.js";

const availability = motoAvailability();

const PRUNE = `${SETTINGS}  prune: true\n`;
const NEW_PATH = "    rolePath: /moved/\n";

describe.skipIf(!availability.run)(`role path and name changes ${availability.reason}`, () => {
  let moto: MotoServer;
  let proxy: AwsProxy;
  let iam: IAMClient;
  let repo: string;

  const run = (mode: "plan" | "apply" = "apply"): Promise<ReconcileResult> =>
    reconcile({ root: repo, adapters: createAdapters(), logger: silentLogger(), mode, applyOptions: { consistencyWait: { initialDelayMs: 20, maxDelayMs: 50, totalMs: 300 } } });
  const role = async (name: string): Promise<{ path?: string; arn?: string; createdAt?: string } | undefined> => {
    try {
      const found = (await iam.send(new GetRoleCommand({ RoleName: name }))).Role;
      return { ...(found?.Path !== undefined ? { path: found.Path } : {}), ...(found?.Arn !== undefined ? { arn: found.Arn } : {}), ...(found?.CreateDate !== undefined ? { createdAt: found.CreateDate.toISOString() } : {}) };
    } catch {
      return undefined;
    }
  };
  const trustOf = async (name: string): Promise<string> => decodeURIComponent((await iam.send(new GetRoleCommand({ RoleName: name }))).Role?.AssumeRolePolicyDocument ?? "");
  const policyOf = async (name: string): Promise<string> => decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: "wid-permissions" }))).PolicyDocument ?? "");
  const roleNames = async (): Promise<string[]> => ((await iam.send(new ListRolesCommand({}))).Roles ?? []).map((each) => each.RoleName ?? "").sort();
  const writes = (): string[] => proxy.calls().filter((call) => call.service === "iam" && !/^(Get|List)/.test(call.action)).map((call) => call.action);

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
    proxy.failWhen(undefined);
    Object.assign(process.env, motoEnv(proxy.endpoint));
    repo = await writeRepo({
      "settings.yaml": SETTINGS,
      "integrations/aws-prod.yaml": awsIntegration("aws-prod"),
      "identities/s3-access.yaml": awsIdentity("s3-access"),
      "workloads/shop.yaml": WORKLOAD,
    });
    expect((await run()).outcome).toBe("applied");
    proxy.resetCounts();
  });
  afterEach(async () => {
    await removeRepo(repo);
  });

  describe("a rolePath change", () => {
    it("deletes nothing while prune is off", async () => {
      const before = await role("wid-s3-access");
      await writeFiles(repo, { "integrations/aws-prod.yaml": awsIntegration("aws-prod", "123456789012", NEW_PATH) });

      const applied = await run();
      expect(applied.outcome).toBe("applied");
      expect(applied.plan?.changes).toEqual([]);
      expect(applied.plan?.pending.map((change) => change.details?.kind)).toEqual(["aws-replace-role"]);
      expect(writes()).toEqual([]);
      expect(await role("wid-s3-access")).toEqual(before);

      const status = await readStatus(repo);
      const identity = status.identities["s3-access"];
      expect(identity?.state).toBe("pending-install");
      expect(identity?.message).toContain("rolePath changed: the role keeps its path /workload-identity/ and its ARN until it is replaced");
      expect(identity?.aws?.roleArn).toBe("arn:aws:iam::123456789012:role/workload-identity/wid-s3-access");
      expect(identity?.installedHash).not.toBeNull();
      expect(status.workloads["shop/api"]?.aws?.env.AWS_ROLE_ARN).toBe("arn:aws:iam::123456789012:role/workload-identity/wid-s3-access");
      expect(status.workloads["shop/api"]?.aws?.ready).toBe(true);
    });

    it("keeps updating the role in place while prune is off", async () => {
      await writeFiles(repo, {
        "integrations/aws-prod.yaml": awsIntegration("aws-prod", "123456789012", NEW_PATH),
        "identities/s3-access.yaml": awsIdentity("s3-access", { actions: ["s3:PutObject"] }),
      });
      expect((await run()).outcome).toBe("applied");
      expect(writes()).toEqual(["PutRolePolicy"]);
      expect(await policyOf("wid-s3-access")).toContain("s3:PutObject");
      expect((await role("wid-s3-access"))?.path).toBe("/workload-identity/");
    });

    it("keeps an adopted role under another path while prune is off", async () => {
      const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] });
      await iam.send(new CreateRoleCommand({ RoleName: "wid-adopted", Path: "/", AssumeRolePolicyDocument: trust }));
      await iam.send(new TagRoleCommand({ RoleName: "wid-adopted", Tags: [{ Key: "wid:managed-by", Value: "wid" }] }));
      await writeFiles(repo, { "identities/adopted.yaml": awsIdentity("adopted") });

      const applied = await run();
      expect(applied.outcome).toBe("applied");
      expect(writes()).not.toContain("DeleteRole");
      expect((await role("wid-adopted"))?.path).toBe("/");
      expect((await readStatus(repo)).identities.adopted?.state).toBe("pending-install");
    });

    it("replaces the role with prune on", async () => {
      const before = await role("wid-s3-access");
      await writeFiles(repo, { "settings.yaml": PRUNE, "integrations/aws-prod.yaml": awsIntegration("aws-prod", "123456789012", NEW_PATH) });

      const applied = await run();
      expect(applied.outcome).toBe("applied");
      expect(applied.report?.outcomes.find((outcome) => outcome.resource === "role/wid-s3-access")?.outcome).toBe("updated");
      const after = await role("wid-s3-access");
      expect(after?.path).toBe("/moved/");
      expect(await policyOf("wid-s3-access")).toContain("s3:GetObject");

      const identity = (await readStatus(repo)).identities["s3-access"];
      expect(identity?.state).toBe("installed");
      expect(identity?.aws?.roleArn).toBe("arn:aws:iam::123456789012:role/moved/wid-s3-access");
      expect(identity?.createdAt).toBe(after?.createdAt);
      expect(after?.arn).not.toBe(before?.arn);
      expect((await run("plan")).outcome).toBe("no-changes");
    });

    it("restores the old role when the new one cannot be created", async () => {
      await writeFiles(repo, { "settings.yaml": PRUNE, "integrations/aws-prod.yaml": awsIntegration("aws-prod", "123456789012", NEW_PATH) });
      proxy.failWhen((call) => call.action === "CreateRole" && call.params.get("Path") === "/moved/");

      const applied = await run();
      expect(applied.outcome).toBe("failed");
      const outcome = applied.report?.outcomes.find((each) => each.resource === "role/wid-s3-access");
      expect(outcome).toMatchObject({ outcome: "failed", rollback: "restored" });
      expect(outcome?.message).toContain("iam:CreateRole on role/wid-s3-access (integration aws-prod, identity s3-access) failed: AccessDenied");
      expect(outcome?.message).toContain("the old role was created again under /workload-identity/ with its previous permissions and the trust policy wid writes");
      const restored = await role("wid-s3-access");
      expect(restored?.path).toBe("/workload-identity/");
      expect(await policyOf("wid-s3-access")).toContain("s3:GetObject");

      const identity = (await readStatus(repo)).identities["s3-access"];
      expect(identity?.state).toBe("failed");
      expect(identity?.installedHash).toBe(identity?.desiredHash);
      expect(identity?.aws?.roleArn).toBe("arn:aws:iam::123456789012:role/workload-identity/wid-s3-access");
      expect(identity?.createdAt).toBe(restored?.createdAt);

      proxy.failWhen(undefined);
      expect((await run()).outcome).toBe("applied");
      expect((await role("wid-s3-access"))?.path).toBe("/moved/");
    });

    it("restores the old role with wid's trust", async () => {
      const wider = JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          JSON.parse(await trustOf("wid-s3-access")).Statement[0],
          { Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "sts:AssumeRole" },
        ],
      });
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: "wid-s3-access", PolicyDocument: wider }));
      const written = JSON.parse(await trustOf("wid-s3-access")).Statement as unknown[];
      expect(written).toHaveLength(2);
      await writeFiles(repo, { "settings.yaml": PRUNE, "integrations/aws-prod.yaml": awsIntegration("aws-prod", "123456789012", NEW_PATH) });
      proxy.failWhen((call) => call.action === "CreateRole" && call.params.get("Path") === "/moved/");

      const applied = await run();
      expect(applied.report?.outcomes.find((each) => each.resource === "role/wid-s3-access" && each.outcome === "failed")).toMatchObject({ rollback: "restored" });
      expect((await role("wid-s3-access"))?.path).toBe("/workload-identity/");
      const restored = JSON.parse(await trustOf("wid-s3-access")) as { Statement: { Principal: unknown; Action: unknown; Condition: unknown }[] };
      expect(restored.Statement).toHaveLength(1);
      expect(restored.Statement[0]?.Principal).toEqual({ Federated: "arn:aws:iam::123456789012:oidc-provider/oidc.example.com" });
      expect(restored.Statement[0]?.Action).toBe("sts:AssumeRoleWithWebIdentity");
      expect(restored.Statement[0]?.Condition).toEqual({ StringEquals: { "oidc.example.com:aud": "sts.amazonaws.com", "oidc.example.com:sub": "identity:s3-access" } });
    });

    it("fixes the trust when the old role stays", async () => {
      const wider = JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          JSON.parse(await trustOf("wid-s3-access")).Statement[0],
          { Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "sts:AssumeRole" },
        ],
      });
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: "wid-s3-access", PolicyDocument: wider }));
      await writeFiles(repo, { "settings.yaml": PRUNE, "integrations/aws-prod.yaml": awsIntegration("aws-prod", "123456789012", NEW_PATH) });
      proxy.failWhen((call) => call.action === "DeleteRole");

      const applied = await run();
      expect(applied.outcome).toBe("failed");
      expect((await role("wid-s3-access"))?.path).toBe("/workload-identity/");
      const oldTrust = JSON.parse(await trustOf("wid-s3-access")) as { Statement: { Principal: unknown }[] };
      expect(oldTrust.Statement).toHaveLength(1);
      expect(oldTrust.Statement[0]?.Principal).toEqual({ Federated: "arn:aws:iam::123456789012:oidc-provider/oidc.example.com" });
    });

    it("plans the role again when even the rollback fails", async () => {
      await writeFiles(repo, { "settings.yaml": PRUNE, "integrations/aws-prod.yaml": awsIntegration("aws-prod", "123456789012", NEW_PATH) });
      proxy.failWhen((call) => call.action === "CreateRole");

      const applied = await run();
      expect(applied.outcome).toBe("failed");
      const outcome = applied.report?.outcomes.find((each) => each.resource === "role/wid-s3-access");
      expect(outcome).toMatchObject({ outcome: "failed", rollback: "failed" });
      expect(outcome?.message).toContain("putting the old role back failed too");
      expect(await role("wid-s3-access")).toBeUndefined();

      const identity = (await readStatus(repo)).identities["s3-access"];
      expect(identity?.state).toBe("failed");
      expect(identity?.installedHash).toBeNull();
      expect(identity?.createdAt).toBeNull();
      expect((await readStatus(repo)).workloads["shop/api"]?.aws?.ready).toBe(false);

      proxy.failWhen(undefined);
      const planned = await run("plan");
      expect(planned.plan?.changes.map((change) => `${change.action} ${change.resource}`)).toEqual(["create role/wid-s3-access", "create role-policy/wid-s3-access/wid-permissions"]);
      expect((await run()).outcome).toBe("applied");
      expect((await role("wid-s3-access"))?.path).toBe("/moved/");
      expect((await readStatus(repo)).identities["s3-access"]?.installedHash).not.toBeNull();
    });

    it("puts back what it removed when the old role cannot be deleted", async () => {
      await writeFiles(repo, { "settings.yaml": PRUNE, "integrations/aws-prod.yaml": awsIntegration("aws-prod", "123456789012", NEW_PATH) });
      proxy.failWhen((call) => call.action === "DeleteRole");

      const applied = await run();
      expect(applied.outcome).toBe("failed");
      expect(applied.report?.outcomes.find((each) => each.resource === "role/wid-s3-access")).toMatchObject({ outcome: "failed", rollback: "restored" });
      expect((await role("wid-s3-access"))?.path).toBe("/workload-identity/");
      expect(await policyOf("wid-s3-access")).toContain("s3:GetObject");
      const identity = (await readStatus(repo)).identities["s3-access"];
      expect(identity?.state).toBe("failed");
      expect(identity?.installedHash).toBe(identity?.desiredHash);
    });
  });

  describe("a roleNamePrefix change", () => {
    const NEW_PREFIX = "    roleNamePrefix: app-\n";

    it("keeps the old role while prune is off", async () => {
      await writeFiles(repo, { "integrations/aws-prod.yaml": awsIntegration("aws-prod", "123456789012", NEW_PREFIX) });
      const applied = await run();
      expect(applied.outcome).toBe("applied");
      expect(await roleNames()).toEqual(["app-s3-access", "wid-s3-access"]);
      expect(applied.plan?.orphans[0]?.message).toBe("the identity's role now has another name because roleNamePrefix changed; the old role role/wid-s3-access is kept because prune is off");
    });

    it("deletes the old role after the new one exists", async () => {
      await writeFiles(repo, { "settings.yaml": PRUNE, "integrations/aws-prod.yaml": awsIntegration("aws-prod", "123456789012", NEW_PREFIX) });
      const applied = await run();
      expect(applied.outcome).toBe("applied");
      expect(await roleNames()).toEqual(["app-s3-access"]);
      const order = writes();
      expect(order.indexOf("PutRolePolicy")).toBeLessThan(order.indexOf("DeleteRole"));
      const identity = (await readStatus(repo)).identities["s3-access"];
      expect(identity?.state).toBe("installed");
      expect(identity?.aws?.roleName).toBe("app-s3-access");
    });

    it("keeps the old role when the new one fails", async () => {
      await writeFiles(repo, { "settings.yaml": PRUNE, "integrations/aws-prod.yaml": awsIntegration("aws-prod", "123456789012", NEW_PREFIX) });
      proxy.failWhen((call) => call.action === "PutRolePolicy" && call.params.get("RoleName") === "app-s3-access");

      const applied = await run();
      expect(applied.outcome).toBe("failed");
      expect(await roleNames()).toEqual(["app-s3-access", "wid-s3-access"]);
      expect(await policyOf("wid-s3-access")).toContain("s3:GetObject");
      const skipped = applied.report?.outcomes.find((each) => each.resource === "role/wid-s3-access");
      expect(skipped?.outcome).toBe("failed");
      expect(skipped?.message).toBe("not attempted because a change of identity s3-access in integration aws-prod failed, so the resource it replaces is kept; the next run tries again");
      expect(writes()).not.toContain("DeleteRole");

      const identity = (await readStatus(repo)).identities["s3-access"];
      expect(identity?.state).toBe("failed");
      expect(identity?.installedHash).toBeNull();

      proxy.failWhen(undefined);
      expect((await run()).outcome).toBe("applied");
      expect(await roleNames()).toEqual(["app-s3-access"]);
    });

    it("keeps the old role with install: false", async () => {
      await writeFiles(repo, {
        "settings.yaml": PRUNE,
        "integrations/aws-prod.yaml": awsIntegration("aws-prod", "123456789012", NEW_PREFIX),
        "identities/s3-access.yaml": awsIdentity("s3-access", { install: false }),
      });
      expect((await run()).outcome).toBe("applied");
      expect(writes()).toEqual([]);
      expect(await roleNames()).toEqual(["wid-s3-access"]);
    });

    it("reports a stale role whose delete failed without failing the identity", async () => {
      await writeFiles(repo, { "settings.yaml": PRUNE, "integrations/aws-prod.yaml": awsIntegration("aws-prod", "123456789012", NEW_PREFIX) });
      proxy.failWhen((call) => call.action === "DeleteRole");

      const applied = await run();
      expect(applied.outcome).toBe("failed");
      const identity = (await readStatus(repo)).identities["s3-access"];
      expect(identity?.state).toBe("installed");
      expect(identity?.message).toContain("role/wid-s3-access, which the identity no longer uses, is kept because its delete failed");
      expect(identity?.installedHash).toBe(identity?.desiredHash);
    });
  });

  describe("an identity moved to another integration", () => {
    it("deletes its old role after the new integration installs it", async () => {
      await writeFiles(repo, {
        "settings.yaml": PRUNE,
        "integrations/aws-other.yaml": awsIntegration("aws-other", "123456789012", "    roleNamePrefix: other-\n"),
        "identities/s3-access.yaml": awsIdentity("s3-access", { integration: "aws-other" }),
      });
      const planned = await run("plan");
      const deletes = planned.plan?.changes.filter((change) => change.action === "delete") ?? [];
      expect(deletes.map((change) => change.reason)).toEqual([
        "the identity moved from integration aws-prod to aws-other; prune is on, so the old role is deleted once the new one is installed",
        "the identity moved from integration aws-prod to aws-other; prune is on, so the old role is deleted once the new one is installed",
      ]);
      expect(deletes[0]?.onlyAfter).toEqual({ integration: "aws-other", identity: "s3-access" });

      expect((await run()).outcome).toBe("applied");
      expect(await roleNames()).toEqual(["other-s3-access"]);
    });

    it("takes over the role when the name stays the same", async () => {
      await writeFiles(repo, {
        "settings.yaml": PRUNE,
        "integrations/aws-other.yaml": awsIntegration("aws-other"),
        "identities/s3-access.yaml": awsIdentity("s3-access", { integration: "aws-other" }),
      });
      const applied = await run();
      expect(applied.outcome).toBe("applied");
      expect(writes()).toEqual(["TagRole"]);
      const tags = (await iam.send(new GetRoleCommand({ RoleName: "wid-s3-access" }))).Role?.Tags ?? [];
      expect(tags).toContainEqual({ Key: "wid:integration", Value: "aws-other" });
      expect((await readStatus(repo)).identities["s3-access"]?.state).toBe("installed");
    });
  });

  describe("a removed identity", () => {
    it("records what a failed prune left", async () => {
      await rm(path.join(repo, "identities/s3-access.yaml"));
      await writeFiles(repo, { "settings.yaml": PRUNE });
      proxy.failWhen((call) => call.action === "DeleteRole");

      const applied = await run();
      expect(applied.outcome).toBe("failed");
      expect(await roleNames()).toEqual(["wid-s3-access"]);
      const identity = (await readStatus(repo)).identities["s3-access"];
      expect(identity?.state).toBe("failed");
      expect(identity?.installedHash).toBeNull();
      expect(identity?.createdAt).not.toBeNull();

      proxy.failWhen(undefined);
      expect((await run()).outcome).toBe("applied");
      expect(await roleNames()).toEqual([]);
      expect((await readStatus(repo)).identities["s3-access"]).toBeUndefined();
    });
  });
});
