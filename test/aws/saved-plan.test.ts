import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import { PutRolePolicyCommand } from "@aws-sdk/client-iam";
import type { IAMClient } from "@aws-sdk/client-iam";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

import type { AwsProxy } from "../support/aws-proxy.js";
import { iamTotals, startAwsProxy } from "../support/aws-proxy.js";
import { runCli } from "../support/cli.js";
import type { MotoServer } from "../support/moto.js";
import { motoAvailability, motoEnv, startMoto } from "../support/moto.js";
import { copyExample, iamClient, removeRepo } from "./helpers.js";

const availability = motoAvailability();

describe.skipIf(!availability.run)(`wid apply PLAN_FILE ${availability.reason}`, () => {
  let moto: MotoServer;
  let proxy: AwsProxy;
  let iam: IAMClient;
  let repo: string;
  let planFile: string;
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
    repo = await copyExample();
    planFile = path.join(repo, "..", `${path.basename(repo)}.plan.json`);
  });
  afterEach(async () => {
    await removeRepo(repo);
    await removeRepo(planFile);
  });

  it("applies a plan that still matches", async () => {
    const planned = await runCli(["plan", repo, "--out", planFile], { env: env() });
    expect(planned.code).toBe(2);
    const saved = JSON.parse(await readFile(planFile, "utf8")) as { format: string; fingerprints: { config: string; integrations: Record<string, string> } };
    expect(saved.format).toBe("wid-plan/v1");
    expect(saved.fingerprints.integrations["aws-prod"]).toMatch(/^sha256:/);

    const applied = await runCli(["apply", planFile], { env: env() });
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("Apply complete: 9 created");
  });

  it("refuses a plan whose config changed", async () => {
    await runCli(["plan", repo, "--out", planFile], { env: env() });
    const file = path.join(repo, "identities/aws-queue-consumer.yaml");
    await writeFile(file, (await readFile(file, "utf8")).replace("sqs:DeleteMessage, ", ""), "utf8");

    proxy.resetCounts();
    const applied = await runCli(["apply", planFile], { env: env() });
    expect(applied.code).toBe(1);
    expect(applied.stderr).toContain("wid: error: the saved plan is out of date because the config files changed since it was made; run wid plan --out again and review it");
    expect(iamTotals(proxy.counts()).writes).toBe(0);
  });

  it("refuses a plan whose cloud changed", async () => {
    await runCli(["apply", repo], { env: env() });
    await runCli(["plan", repo, "--out", planFile], { env: env() });
    await iam.send(new PutRolePolicyCommand({ RoleName: "wid-aws-queue-consumer", PolicyName: "wid-permissions", PolicyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}' }));

    proxy.resetCounts();
    const applied = await runCli(["apply", planFile], { env: env() });
    expect(applied.code).toBe(1);
    expect(applied.stderr).toContain("the saved plan is out of date because the cloud resources of integration aws-prod changed since it was made");
    expect(iamTotals(proxy.counts()).writes).toBe(0);
  });

  it("refuses an offline plan", async () => {
    await runCli(["plan", repo, "--offline", "--out", planFile], { env: env() });
    const applied = await runCli(["apply", planFile], { env: env() });
    expect(applied.code).toBe(1);
    expect(applied.stderr).toContain("is an offline plan, which cannot be applied");
  });

  it("refuses a file that is not a plan", async () => {
    await writeFile(planFile, "{}", "utf8");
    const applied = await runCli(["apply", planFile], { env: env() });
    expect(applied.code).toBe(1);
    expect(applied.stderr).toContain("is not a wid plan file");
  });
});
