import { rm } from "node:fs/promises";
import path from "node:path";

import { GetRoleCommand, ListRolesCommand, UntagRoleCommand } from "@aws-sdk/client-iam";
import type { IAMClient } from "@aws-sdk/client-iam";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

import type { AwsProxy } from "../support/aws-proxy.js";
import { startAwsProxy } from "../support/aws-proxy.js";
import type { MotoServer } from "../support/moto.js";
import { motoAvailability, motoEnv, startMoto } from "../support/moto.js";
import { issuerDigest } from "../../src/providers/ownership.js";
import { createAdapters } from "../../src/providers/registry.js";
import type { ReconcileResult } from "../../src/reconcile/run.js";
import { reconcile } from "../../src/reconcile/run.js";
import { awsIdentity, awsIntegration, iamClient, readStatus, removeRepo, SETTINGS, silentLogger, WORKLOAD, writeFiles, writeRepo } from "./helpers.js";

const availability = motoAvailability();

const OTHER_SETTINGS = `apiVersion: wid/v1
kind: Settings
spec:
  issuer: https://other.example.com
  prune: true
`;

describe.skipIf(!availability.run)(`ownership by issuer ${availability.reason}`, () => {
  let moto: MotoServer;
  let proxy: AwsProxy;
  let iam: IAMClient;
  let repo: string;
  let other: string;

  const run = (root: string, mode: "plan" | "apply" = "apply"): Promise<ReconcileResult> => reconcile({ root, adapters: createAdapters(), logger: silentLogger(), mode });
  const roleNames = async (): Promise<string[]> => ((await iam.send(new ListRolesCommand({}))).Roles ?? []).map((each) => each.RoleName ?? "").sort();
  const tagsOf = async (name: string): Promise<Record<string, string>> =>
    Object.fromEntries(((await iam.send(new GetRoleCommand({ RoleName: name }))).Role?.Tags ?? []).map((tag) => [tag.Key ?? "", tag.Value ?? ""]));

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
    Object.assign(process.env, motoEnv(proxy.endpoint));
    repo = await writeRepo({
      "settings.yaml": SETTINGS,
      "integrations/aws-prod.yaml": awsIntegration("aws-prod"),
      "identities/s3-access.yaml": awsIdentity("s3-access"),
      "workloads/shop.yaml": WORKLOAD,
    });
    expect((await run(repo)).outcome).toBe("applied");
    other = await writeRepo({ "settings.yaml": OTHER_SETTINGS, "integrations/aws-prod.yaml": awsIntegration("aws-prod"), "workloads/shop.yaml": WORKLOAD });
  });
  afterEach(async () => {
    await removeRepo(repo);
    await removeRepo(other);
  });

  it("tags roles with the issuer", async () => {
    expect(await tagsOf("wid-s3-access")).toMatchObject({ "wid:issuer-sha256": issuerDigest("https://oidc.example.com") });
  });

  it("never prunes a role of another repository's issuer", async () => {
    await writeFiles(other, { "identities/uploads.yaml": awsIdentity("uploads") });
    const applied = await run(other);
    expect(applied.outcome).toBe("applied");
    expect(applied.plan?.changes.filter((change) => change.action === "delete")).toEqual([]);
    expect(applied.plan?.orphans).toEqual([]);
    expect(await roleNames()).toEqual(["wid-s3-access", "wid-uploads"]);
    expect((await readStatus(repo)).identities["s3-access"]?.state).toBe("installed");
  });

  it("reports the same name in another repository as a conflict", async () => {
    await writeFiles(other, { "identities/s3-access.yaml": awsIdentity("s3-access", { actions: ["s3:*"] }) });
    const applied = await run(other);
    expect(applied.plan?.identities["s3-access"]?.state).toBe("conflict");
    expect(applied.plan?.conflicts[0]?.message).toContain("role wid-s3-access is managed by wid for another issuer");
    expect(applied.plan?.changes.filter((change) => change.identity === "s3-access")).toEqual([]);
    expect((await tagsOf("wid-s3-access"))["wid:issuer-sha256"]).toBe(issuerDigest("https://oidc.example.com"));
  });

  it("upgrades a role tagged before the issuer tag", async () => {
    await iam.send(new UntagRoleCommand({ RoleName: "wid-s3-access", TagKeys: ["wid:issuer-sha256"] }));
    const planned = await run(repo, "plan");
    expect(planned.plan?.changes.map((change) => `${change.action} ${change.resource}`)).toEqual(["update role/wid-s3-access"]);
    expect((await run(repo)).outcome).toBe("applied");
    expect((await tagsOf("wid-s3-access"))["wid:issuer-sha256"]).toBe(issuerDigest("https://oidc.example.com"));
  });

  it("prunes a role tagged before the issuer tag that trusts this issuer", async () => {
    await iam.send(new UntagRoleCommand({ RoleName: "wid-s3-access", TagKeys: ["wid:issuer-sha256"] }));
    await rm(path.join(repo, "identities/s3-access.yaml"));
    await writeFiles(repo, { "settings.yaml": `${SETTINGS}  prune: true\n` });

    // Another repository's prune leaves it alone: its trust names another issuer.
    expect((await run(other)).plan?.changes.filter((change) => change.action === "delete")).toEqual([]);
    expect((await run(repo)).outcome).toBe("applied");
    expect(await roleNames()).toEqual([]);
  });
});
