import { cp, mkdtemp, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { GetRoleCommand } from "@aws-sdk/client-iam";
import type { IAMClient } from "@aws-sdk/client-iam";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

import type { AwsProxy } from "../support/aws-proxy.js";
import { iamTotals, startAwsProxy } from "../support/aws-proxy.js";
import { runCli } from "../support/cli.js";
import type { MotoServer } from "../support/moto.js";
import { motoAvailability, motoEnv, startMoto } from "../support/moto.js";
import { awsIdentity, awsIntegration, iamClient, readStatus, removeRepo, WORKLOAD, writeRepo } from "./helpers.js";

/**
 * With `prune: true`, an installed identity must never lose its role because its file
 * became invalid in a way that hides the identity's name, or because another file has
 * errors. Each case installs `s3-access` first, then breaks the repository and applies.
 */

const availability = motoAvailability();
const IDENTITY_FILE = "identities/s3-access.yaml";
const ROLE = "wid-s3-access";
const SETTINGS_PRUNE = "apiVersion: wid/v1\nkind: Settings\nspec:\n  issuer: https://oidc.example.com\n  prune: true\n";

/** Identity files whose errors come before the identity's name can be read. */
const NAMELESS: Record<string, string> = {
  "a misspelled kind": awsIdentity("s3-access").replace("kind: WorkloadIdentity", "kind: WorkloadIdentiy"),
  "a missing kind": awsIdentity("s3-access").replace("kind: WorkloadIdentity\n", ""),
  "an unsupported apiVersion": awsIdentity("s3-access").replace("apiVersion: wid/v1", "apiVersion: wid/v2"),
  "a document that is a list": "- apiVersion: wid/v1\n- kind: WorkloadIdentity\n",
  "a document that is a string": "s3-access\n",
  "a misspelled metadata": awsIdentity("s3-access").replace("metadata:", "metdata:"),
  "metadata without a name": awsIdentity("s3-access").replace("metadata: { name: s3-access }", "metadata: { description: S3 access }"),
};

interface PlanJson {
  changes: { action: string; resource: string }[];
  orphans: { identity: string; message: string }[];
  invalid: { identity: string; message: string }[];
  identities: Record<string, { state: string }>;
}

describe.skipIf(!availability.run)(`prune safety against moto ${availability.reason}`, () => {
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
    iam?.destroy();
    await proxy?.stop();
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto.reset();
    repo = await writeRepo({
      "settings.yaml": SETTINGS_PRUNE,
      "integrations/aws-prod.yaml": awsIntegration("aws-prod"),
      [IDENTITY_FILE]: awsIdentity("s3-access"),
      "workloads/api.yaml": WORKLOAD,
    });
    const applied = await runCli(["apply", repo], { env: env() });
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    proxy.resetCounts();
  });
  afterEach(async () => {
    await removeRepo(repo);
  });

  const roleExists = async (): Promise<boolean> => {
    try {
      await iam.send(new GetRoleCommand({ RoleName: ROLE }));
      return true;
    } catch {
      return false;
    }
  };

  describe.each(Object.entries(NAMELESS))("an identity file with %s", (_, text) => {
    beforeEach(async () => {
      await writeFile(path.join(repo, IDENTITY_FILE), text, "utf8");
    });

    it("plans no delete online or offline", async () => {
      for (const args of [["plan", repo, "--format", "json"], ["plan", repo, "--offline", "--format", "json"]]) {
        const planned = await runCli(args, { env: env() });

        expect(planned.code, args.join(" ")).toBe(1);
        expect(planned.stderr).toContain(`${IDENTITY_FILE}:`);
        const plan = JSON.parse(planned.stdout) as PlanJson;
        expect(plan.changes.filter((change) => change.action === "delete")).toEqual([]);
        expect(plan.orphans).toEqual([]);
        expect(plan.invalid).toEqual([expect.objectContaining({ identity: "s3-access", message: expect.stringContaining(IDENTITY_FILE) as unknown })]);
        expect(plan.identities["s3-access"]?.state).toBe("invalid");
      }
    });

    it("keeps the role on apply", async () => {
      const before = await readStatus(repo);

      const applied = await runCli(["apply", repo], { env: env() });

      expect(applied.code).toBe(1);
      expect(iamTotals(proxy.counts()).writes).toBe(0);
      expect(await roleExists()).toBe(true);
      const status = await readStatus(repo);
      expect(status.identities["s3-access"]).toMatchObject({ state: "invalid", file: IDENTITY_FILE, installedHash: before.identities["s3-access"]?.installedHash });
      expect(status.workloads["shop/api"]?.aws).toMatchObject({ identity: "s3-access", ready: true });
    });
  });

  describe("a symbolic link", () => {
    it("keeps the role of a linked file", async () => {
      const outside = path.join(repo, "elsewhere.txt");
      await rename(path.join(repo, IDENTITY_FILE), outside);
      await symlink(outside, path.join(repo, IDENTITY_FILE));

      const planned = await runCli(["plan", repo, "--format", "json"], { env: env() });
      const applied = await runCli(["apply", repo], { env: env() });

      expect(planned.code).toBe(1);
      expect(planned.stderr).toContain(`${IDENTITY_FILE}:1:1: error:`);
      expect(planned.stderr).toContain("symbolic link");
      const plan = JSON.parse(planned.stdout) as PlanJson;
      expect(plan.changes.filter((change) => change.action === "delete")).toEqual([]);
      expect(plan.identities["s3-access"]?.state).toBe("invalid");
      expect(applied.code).toBe(1);
      expect(iamTotals(proxy.counts()).writes).toBe(0);
      expect(await roleExists()).toBe(true);
      expect((await readStatus(repo)).identities["s3-access"]).toMatchObject({ state: "invalid", file: IDENTITY_FILE });
    });

    it("keeps the roles of a linked folder", async () => {
      const outside = await mkdtemp(path.join(tmpdir(), "wid-linked-"));
      await cp(path.join(repo, "identities"), outside, { recursive: true });
      await rm(path.join(repo, "identities"), { recursive: true });
      await symlink(outside, path.join(repo, "identities"));

      const planned = await runCli(["plan", repo, "--format", "json"], { env: env() });
      const applied = await runCli(["apply", repo], { env: env() });

      expect(planned.code).toBe(1);
      expect(planned.stderr).toContain("identities:1:1: error:");
      const plan = JSON.parse(planned.stdout) as PlanJson;
      expect(plan.changes.filter((change) => change.action === "delete")).toEqual([]);
      expect(plan.identities["s3-access"]?.state).toBe("invalid");
      expect(applied.code).toBe(1);
      expect(await roleExists()).toBe(true);
      expect((await readStatus(repo)).workloads["shop/api"]?.aws).toMatchObject({ identity: "s3-access", ready: true });
      await rm(outside, { recursive: true });
    });
  });

  describe("a removed identity file", () => {
    beforeEach(async () => {
      await rm(path.join(repo, IDENTITY_FILE));
    });

    it("deletes the role when the config is valid", async () => {
      const applied = await runCli(["apply", repo], { env: env() });

      expect(applied.code).toBe(0);
      expect(await roleExists()).toBe(false);
    });

    it("keeps the role while another file has an error", async () => {
      await writeFile(path.join(repo, "workloads/api.yaml"), WORKLOAD.replace("type: service", "type: daemon"), "utf8");

      const planned = await runCli(["plan", repo, "--format", "json"], { env: env() });
      const applied = await runCli(["apply", repo], { env: env() });

      expect(planned.code).toBe(1);
      const plan = JSON.parse(planned.stdout) as PlanJson;
      expect(plan.changes.filter((change) => change.action === "delete")).toEqual([]);
      expect(plan.orphans).toEqual([expect.objectContaining({ identity: "s3-access" })]);
      expect(plan.orphans[0]?.message).toContain("deletes are suspended while the config has errors");
      expect(plan.orphans[0]?.message).toContain("workloads/api.yaml");
      expect(applied.code).toBe(1);
      expect(iamTotals(proxy.counts()).writes).toBe(0);
      expect(await roleExists()).toBe(true);
      expect((await readStatus(repo)).identities["s3-access"]?.state).toBe("orphaned");
    });

    it("keeps the role offline while another file has an error", async () => {
      await writeFile(path.join(repo, "workloads/api.yaml"), WORKLOAD.replace("type: service", "type: daemon"), "utf8");

      const planned = await runCli(["plan", repo, "--offline", "--format", "json"], { env: env() });

      const plan = JSON.parse(planned.stdout) as PlanJson;
      expect(plan.changes.filter((change) => change.action === "delete")).toEqual([]);
      expect(plan.orphans[0]?.message).toContain("deletes are suspended while the config has errors");
    });
  });
});
