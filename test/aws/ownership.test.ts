import { rm } from "node:fs/promises";
import path from "node:path";

import { CreateRoleCommand, GetRoleCommand, GetRolePolicyCommand, ListRolesCommand, PutRolePolicyCommand, TagRoleCommand } from "@aws-sdk/client-iam";
import type { IAMClient } from "@aws-sdk/client-iam";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

import type { AwsProxy } from "../support/aws-proxy.js";
import { iamTotals, isReadAction, startAwsProxy } from "../support/aws-proxy.js";
import { runCli } from "../support/cli.js";
import type { MotoServer } from "../support/moto.js";
import { motoAvailability, motoEnv, startMoto } from "../support/moto.js";
import { awsIdentity, awsIntegration, iamClient, readStatus, removeRepo, SETTINGS, WORKLOAD, writeFiles, writeRepo } from "./helpers.js";

const availability = motoAvailability();

const FOREIGN_TRUST = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] });
const FOREIGN_POLICY = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ec2:*", Resource: "*" }] });

describe.skipIf(!availability.run)(`ownership, conflicts and prune ${availability.reason}`, () => {
  let moto: MotoServer;
  let proxy: AwsProxy;
  let iam: IAMClient;
  let repo: string;
  const env = (): Record<string, string> => motoEnv(proxy.endpoint);
  const roleNames = async (): Promise<string[]> => ((await iam.send(new ListRolesCommand({}))).Roles ?? []).map((role) => role.RoleName ?? "").sort();

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
    repo = await writeRepo({
      "settings.yaml": SETTINGS,
      "integrations/aws-prod.yaml": awsIntegration("aws-prod"),
      "identities/alpha.yaml": awsIdentity("alpha"),
      "identities/beta.yaml": awsIdentity("beta", { actions: ["s3:PutObject"] }),
      "workloads/shop.yaml": WORKLOAD,
    });
  });
  afterEach(async () => {
    await removeRepo(repo);
  });

  it("reports an unowned role as a conflict and leaves it untouched", async () => {
    await iam.send(new CreateRoleCommand({ RoleName: "wid-beta", Path: "/", AssumeRolePolicyDocument: FOREIGN_TRUST, Description: "someone else's" }));
    await iam.send(new PutRolePolicyCommand({ RoleName: "wid-beta", PolicyName: "theirs", PolicyDocument: FOREIGN_POLICY }));

    const planned = await runCli(["plan", repo], { env: env() });
    expect(planned.stdout).toContain("Conflicts (left untouched):");
    expect(planned.stdout).toContain("! beta (aws-prod): role wid-beta exists in account 123456789012 without wid's ownership tag wid:managed-by=wid");
    expect(planned.stdout).not.toContain("role/wid-beta (aws-prod/beta)");

    proxy.resetCounts();
    const applied = await runCli(["apply", repo], { env: env() });
    expect(applied.code).toBe(0);
    const writesToBeta = proxy.calls().filter((call) => call.service === "iam" && !isReadAction(call.action) && call.params.get("RoleName") === "wid-beta");
    expect(writesToBeta).toEqual([]);
    const role = (await iam.send(new GetRoleCommand({ RoleName: "wid-beta" }))).Role;
    expect(decodeURIComponent(role?.AssumeRolePolicyDocument ?? "")).toBe(FOREIGN_TRUST);
    expect(role?.Description).toBe("someone else's");
    expect(role?.Tags ?? []).toEqual([]);
    const policy = await iam.send(new GetRolePolicyCommand({ RoleName: "wid-beta", PolicyName: "theirs" }));
    expect(decodeURIComponent(policy.PolicyDocument ?? "")).toBe(FOREIGN_POLICY);
    await expect(iam.send(new GetRolePolicyCommand({ RoleName: "wid-beta", PolicyName: "wid-permissions" }))).rejects.toThrow();

    const status = await readStatus(repo);
    expect(status.identities.beta?.state).toBe("conflict");
    expect(status.identities.beta?.installedHash).toBeNull();
    expect(status.identities.alpha?.state).toBe("installed");
  });

  it("adopts a role once it carries the ownership tag", async () => {
    await iam.send(new CreateRoleCommand({ RoleName: "wid-beta", Path: "/workload-identity/", AssumeRolePolicyDocument: FOREIGN_TRUST }));
    await iam.send(new TagRoleCommand({ RoleName: "wid-beta", Tags: [{ Key: "wid:managed-by", Value: "wid" }] }));

    const planned = await runCli(["plan", repo], { env: env() });
    expect(planned.stdout).toContain("~ update role/wid-beta (aws-prod/beta): the role differs from what wid writes");
    expect(planned.stdout).toContain("trust policy differs from the one wid writes");
    expect(planned.stdout).toContain("+ create role-policy/wid-beta/wid-permissions");

    expect((await runCli(["apply", repo], { env: env() })).code).toBe(0);
    expect((await runCli(["plan", repo], { env: env() })).code).toBe(0);
  });

  it("keeps a removed identity's role while prune is off", async () => {
    await runCli(["apply", repo], { env: env() });
    await rm(path.join(repo, "identities/beta.yaml"));

    const planned = await runCli(["plan", repo], { env: env() });
    expect(planned.code).toBe(0);
    expect(planned.stdout).toContain("? beta (aws-prod): the file was removed, and prune is off; its cloud resources are kept");

    await runCli(["apply", repo], { env: env() });
    expect(await roleNames()).toContain("wid-beta");
    const status = await readStatus(repo);
    expect(status.identities.beta?.state).toBe("orphaned");
    expect(status.identities.beta?.file).toBeNull();
    expect(status.identities.beta?.installedHash).not.toBeNull();
  });

  it("deletes a removed identity's role when prune is on", async () => {
    await iam.send(new CreateRoleCommand({ RoleName: "wid-unrelated", AssumeRolePolicyDocument: FOREIGN_TRUST }));
    await runCli(["apply", repo], { env: env() });
    await rm(path.join(repo, "identities/beta.yaml"));
    await writeFiles(repo, { "settings.yaml": `${SETTINGS}  prune: true\n` });

    const planned = await runCli(["plan", repo], { env: env() });
    expect(planned.code).toBe(2);
    expect(planned.stdout).toContain("- delete role-policy/wid-beta/wid-permissions (aws-prod/beta): the file was removed and prune is on");
    expect(planned.stdout).toContain("- delete role/wid-beta (aws-prod/beta): the file was removed and prune is on");
    expect(planned.stdout).toContain("Plan: 0 to create, 0 to update, 2 to delete.");

    const applied = await runCli(["apply", repo], { env: env() });
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("deleted   role/wid-beta (beta)");
    expect(await roleNames()).toEqual(expect.arrayContaining(["wid-alpha", "wid-unrelated"]));
    expect(await roleNames()).not.toContain("wid-beta");
    expect((await readStatus(repo)).identities.beta).toBeUndefined();
  });

  it("suspends deletes while a config file cannot be read", async () => {
    await runCli(["apply", repo], { env: env() });
    await rm(path.join(repo, "identities/beta.yaml"));
    await writeFiles(repo, { "settings.yaml": `${SETTINGS}  prune: true\n`, "identities/broken.yaml": "kind: [unclosed\n" });

    proxy.resetCounts();
    const applied = await runCli(["apply", repo], { env: env() });
    expect(applied.code).toBe(1);
    expect(applied.stdout).toContain("deletes are suspended while identities/broken.yaml cannot be read");
    expect(iamTotals(proxy.counts()).writes).toBe(0);
    expect(await roleNames()).toContain("wid-beta");
  });

  it("leaves an invalid identity exactly as it is", async () => {
    await runCli(["apply", repo], { env: env() });
    await writeFiles(repo, {
      "settings.yaml": `${SETTINGS}  prune: true\n`,
      "identities/beta.yaml": awsIdentity("beta", { actions: ["s3:PutObject"] }).replace("install: true", "install: maybe"),
    });

    proxy.resetCounts();
    const applied = await runCli(["apply", repo], { env: env() });
    expect(applied.code).toBe(1);
    expect(applied.stdout).toContain("x beta: identities/beta.yaml has errors; the identity keeps its last installed state");
    expect(iamTotals(proxy.counts()).writes).toBe(0);
    expect(await roleNames()).toContain("wid-beta");
    const status = await readStatus(repo);
    expect(status.identities.beta?.state).toBe("invalid");
    expect(status.identities.beta?.installedHash).not.toBeNull();
    expect(status.workloads["shop/api"]?.aws?.identity).toBe("alpha");
  });

  it("refuses a mismatched account before any write", async () => {
    await writeFiles(repo, { "integrations/aws-prod.yaml": awsIntegration("aws-prod", "111122223333") });
    proxy.resetCounts();

    const applied = await runCli(["apply", repo], { env: env() });
    expect(applied.code).toBe(1);
    expect(applied.stdout).toContain(
      "x aws-prod (aws): the AWS credentials act in account 123456789012, but integration aws-prod is account 111122223333; wid changes nothing in it",
    );
    expect(iamTotals(proxy.counts()).writes).toBe(0);
    expect(proxy.counts()["iam:GetAccountAuthorizationDetails"]).toBeUndefined();
    expect(await roleNames()).toEqual([]);
    const status = await readStatus(repo);
    expect(status.integrations["aws-prod"]?.state).toBe("failed");
    expect(status.identities.alpha?.state).toBe("failed");
  });

  it("reconciles one integration while another fails", async () => {
    await writeFiles(repo, {
      "integrations/aws-other.yaml": awsIntegration("aws-other", "999988887777", "    roleNamePrefix: other-\n"),
      "identities/gamma.yaml": awsIdentity("gamma", { integration: "aws-other" }),
    });
    const applied = await runCli(["apply", repo], { env: env() });
    expect(applied.code).toBe(1);
    expect(applied.stdout).toContain("x aws-other (aws): the AWS credentials act in account 123456789012, but integration aws-other is account 999988887777");
    expect(applied.stdout).toContain("created   role/wid-alpha (alpha)");
    expect(await roleNames()).toEqual(["wid-alpha", "wid-beta"]);
    const status = await readStatus(repo);
    expect(status.identities.gamma?.state).toBe("failed");
    expect(status.identities.alpha?.state).toBe("installed");
  });

  it("reports missing credentials as a failed integration", async () => {
    const { AWS_ACCESS_KEY_ID: _key, AWS_SECRET_ACCESS_KEY: _secret, ...noCredentials } = env();
    const planned = await runCli(["plan", repo], { env: { ...noCredentials, AWS_CONFIG_FILE: "/nonexistent", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent" } });
    expect(planned.code).toBe(1);
    expect(planned.stdout).toContain("x aws-prod (aws): sts:GetCallerIdentity (integration aws-prod) failed");
    expect(planned.stdout).toContain("no AWS credentials were found by the SDK's default chain");
  });

  it("reports an unreachable endpoint as a failed integration", async () => {
    const planned = await runCli(["plan", repo], { env: { ...env(), AWS_ENDPOINT_URL: "http://127.0.0.1:9" } });
    expect(planned.code).toBe(1);
    expect(planned.stdout).toContain("AWS could not be reached; check AWS_ENDPOINT_URL");
  });
});
