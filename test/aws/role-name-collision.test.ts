import { GetRoleCommand, GetRolePolicyCommand, ListRolesCommand } from "@aws-sdk/client-iam";
import type { IAMClient } from "@aws-sdk/client-iam";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { runCli } from "../support/cli.js";
import type { MotoServer } from "../support/moto.js";
import { motoAvailability, motoEnv, startMoto } from "../support/moto.js";
import { awsIdentity, awsIntegration, iamClient, readStatus, removeRepo, SETTINGS, WORKLOAD, writeFiles, writeRepo } from "./helpers.js";

const availability = motoAvailability();

describe.skipIf(!availability.run)(`two identities that get one role name ${availability.reason}`, () => {
  let moto: MotoServer;
  let iam: IAMClient;
  let repo: string;
  const env = (): Record<string, string> => motoEnv(moto.endpoint);

  beforeAll(async () => {
    moto = await startMoto();
    iam = iamClient(moto.endpoint);
  });
  afterAll(async () => {
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto.reset();
    // ml- + prod-reader and ml-prod- + reader are both ml-prod-reader in one account.
    repo = await writeRepo({
      "settings.yaml": SETTINGS,
      "integrations/ml.yaml": awsIntegration("ml", "123456789012", "    roleNamePrefix: ml-\n"),
      "integrations/ml-prod.yaml": awsIntegration("ml-prod", "123456789012", "    roleNamePrefix: ml-prod-\n"),
      "identities/prod-reader.yaml": awsIdentity("prod-reader", { integration: "ml" }),
      "identities/reader.yaml": awsIdentity("reader", { integration: "ml-prod", actions: ["s3:PutObject"] }),
      "identities/other.yaml": awsIdentity("other", { integration: "ml" }),
      "workloads/shop.yaml": WORKLOAD,
    });
  });
  afterEach(async () => {
    await removeRepo(repo);
  });

  it("rejects both identity files", async () => {
    const validated = await runCli(["validate", repo], { env: env() });
    expect(validated.code).not.toBe(0);
    const output = validated.stdout + validated.stderr;
    expect(output).toContain("identities/prod-reader.yaml");
    expect(output).toContain("identities/reader.yaml");
    expect(output).toContain("ml-prod-reader");
  });

  it("writes neither role on apply", async () => {
    await runCli(["apply", repo], { env: env() });
    await runCli(["apply", repo], { env: env() });
    const names = ((await iam.send(new ListRolesCommand({}))).Roles ?? []).map((role) => role.RoleName ?? "").sort();
    expect(names).toEqual(["ml-other"]);
    await expect(iam.send(new GetRoleCommand({ RoleName: "ml-prod-reader" }))).rejects.toThrow();
    const status = await readStatus(repo);
    expect(status.identities["prod-reader"]?.state).toBe("invalid");
    expect(status.identities.reader?.state).toBe("invalid");
  });

  it("leaves an invalid identity's role alone", async () => {
    const first = await writeRepo({
      "settings.yaml": SETTINGS,
      "integrations/ml.yaml": awsIntegration("ml", "123456789012", "    roleNamePrefix: ml-\n"),
      "identities/prod-reader.yaml": awsIdentity("prod-reader", { integration: "ml" }),
      "workloads/shop.yaml": WORKLOAD,
    });
    try {
      expect((await runCli(["apply", first], { env: env() })).code).toBe(0);
      const before = (await iam.send(new GetRoleCommand({ RoleName: "ml-prod-reader" }))).Role;

      // prod-reader's file breaks, and another integration now gives reader the same role name.
      await writeFiles(first, {
        "identities/prod-reader.yaml": awsIdentity("prod-reader", { integration: "ml", actions: ["s3GetObject"] }),
        "integrations/ml-prod.yaml": awsIntegration("ml-prod", "123456789012", "    roleNamePrefix: ml-prod-\n"),
        "identities/reader.yaml": awsIdentity("reader", { integration: "ml-prod", actions: ["s3:PutObject"] }),
      });
      const applied = await runCli(["apply", first], { env: env() });
      expect(applied.stdout).not.toContain("role/ml-prod-reader (reader)");

      const after = (await iam.send(new GetRoleCommand({ RoleName: "ml-prod-reader" }))).Role;
      expect(decodeURIComponent(after?.AssumeRolePolicyDocument ?? "")).toContain("identity:prod-reader");
      expect(after?.Tags).toEqual(before?.Tags);
      const policy = await iam.send(new GetRolePolicyCommand({ RoleName: "ml-prod-reader", PolicyName: "wid-permissions" }));
      expect(decodeURIComponent(policy.PolicyDocument ?? "")).toContain("s3:GetObject");
      expect((await readStatus(first)).identities.reader?.state).toBe("conflict");
    } finally {
      await removeRepo(first);
    }
  });

  it("compares names ignoring case", async () => {
    const clash = await writeRepo({
      "settings.yaml": SETTINGS,
      "integrations/a.yaml": awsIntegration("a", "123456789012", "    roleNamePrefix: ML-\n"),
      "integrations/b.yaml": awsIntegration("b", "123456789012", "    roleNamePrefix: ml-prod-\n"),
      "identities/prod-reader.yaml": awsIdentity("prod-reader", { integration: "a" }),
      "identities/reader.yaml": awsIdentity("reader", { integration: "b" }),
    });
    try {
      const validated = await runCli(["validate", clash], { env: env() });
      expect(validated.code).not.toBe(0);
      expect(validated.stdout + validated.stderr).toContain("ML-prod-reader");
    } finally {
      await removeRepo(clash);
    }
  });

  it("allows the name in two accounts", async () => {
    const apart = await writeRepo({
      "settings.yaml": SETTINGS,
      "integrations/ml.yaml": awsIntegration("ml", "123456789012", "    roleNamePrefix: ml-\n"),
      "integrations/ml-prod.yaml": awsIntegration("ml-prod", "210987654321", "    roleNamePrefix: ml-prod-\n"),
      "identities/prod-reader.yaml": awsIdentity("prod-reader", { integration: "ml" }),
      "identities/reader.yaml": awsIdentity("reader", { integration: "ml-prod" }),
    });
    try {
      const validated = await runCli(["validate", apart], { env: env() });
      expect(validated.stdout + validated.stderr).not.toContain("ml-prod-reader");
      expect(validated.code).toBe(0);
    } finally {
      await removeRepo(apart);
    }
  });
});
