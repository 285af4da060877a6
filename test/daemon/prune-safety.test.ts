import { GetRoleCommand } from "@aws-sdk/client-iam";
import type { IAMClient } from "@aws-sdk/client-iam";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { awsIdentity, awsIntegration, iamClient, removeRepo, WORKLOAD, writeRepo } from "../aws/helpers.js";
import { GitFixture, TEST_GIT_ENV } from "../git/fixture.js";
import { runCli } from "../support/cli.js";
import type { CliResult } from "../support/cli.js";
import type { MotoServer } from "../support/moto.js";
import { motoAvailability, motoEnv, startMoto } from "../support/moto.js";
import { parseStatus } from "./harness.js";

/**
 * The daemon path of the prune rules: `wid reconcile --once` against moto, with
 * `prune: true`, never deletes the role of an identity whose file hides its name, nor
 * any role while the config has errors.
 */

const availability = motoAvailability();
const STATUS = ".wid/status.yaml";
const IDENTITY_FILE = "identities/s3-access.yaml";
const ROLE = "wid-s3-access";
const SETTINGS_PRUNE = "apiVersion: wid/v1\nkind: Settings\nspec:\n  issuer: https://oidc.example.com\n  prune: true\n";

describe.skipIf(!availability.run)(`wid reconcile with prune against moto ${availability.reason}`, () => {
  let moto: MotoServer;
  let iam: IAMClient;
  let config: string;
  let fixture: GitFixture;

  beforeAll(async () => {
    moto = await startMoto();
    iam = iamClient(moto.endpoint);
  });
  afterAll(async () => {
    iam?.destroy();
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto.reset();
    config = await writeRepo({
      "settings.yaml": SETTINGS_PRUNE,
      "integrations/aws-prod.yaml": awsIntegration("aws-prod"),
      [IDENTITY_FILE]: awsIdentity("s3-access"),
      "workloads/api.yaml": WORKLOAD,
    });
    fixture = await GitFixture.create({ config });
    const first = await reconcileOnce();
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(await roleExists()).toBe(true);
  });
  afterEach(async () => {
    await fixture.cleanup();
    await removeRepo(config);
  });

  async function reconcileOnce(): Promise<CliResult> {
    return runCli(["reconcile", "--repo", fixture.remote, "--work-dir", fixture.workDir, "--once"], { env: { HOME: TEST_GIT_ENV.HOME ?? "", ...motoEnv(moto.endpoint) } });
  }

  async function roleExists(): Promise<boolean> {
    try {
      await iam.send(new GetRoleCommand({ RoleName: ROLE }));
      return true;
    } catch {
      return false;
    }
  }

  it("keeps the role of a file with a misspelled kind", async () => {
    await fixture.commit({ [IDENTITY_FILE]: awsIdentity("s3-access").replace("kind: WorkloadIdentity", "kind: WorkloadIdentiy") }, "Misspell the kind");

    const result = await reconcileOnce();

    expect(result.code).toBe(1);
    expect(await roleExists()).toBe(true);
    const status = parseStatus(await fixture.remoteFile(STATUS));
    expect(status.identities["s3-access"]).toMatchObject({ state: "invalid", file: IDENTITY_FILE });
    expect(status.workloads["shop/api"]?.aws).toMatchObject({ identity: "s3-access", ready: true });
    expect((await fixture.remoteLog())[0]?.subject).toContain("0 deleted");
  });

  it("keeps a removed identity's role while another file has an error", async () => {
    await fixture.commit({ [IDENTITY_FILE]: null, "workloads/api.yaml": WORKLOAD.replace("type: service", "type: daemon") }, "Remove the identity and break a workload");

    const result = await reconcileOnce();

    expect(result.code).toBe(1);
    expect(await roleExists()).toBe(true);
    const status = parseStatus(await fixture.remoteFile(STATUS));
    expect(status.identities["s3-access"]?.state).toBe("orphaned");
    expect(status.identities["s3-access"]?.message).toContain("deletes are suspended while the config has errors (in workloads/api.yaml)");
  });

  it("deletes a removed identity's role when the config is valid", async () => {
    await fixture.commit({ [IDENTITY_FILE]: null }, "Remove the identity");

    const result = await reconcileOnce();

    expect(result.code).toBe(0);
    expect(await roleExists()).toBe(false);
  });
});
