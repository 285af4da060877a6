import { writeFile } from "node:fs/promises";
import path from "node:path";

import { ListRolePoliciesCommand, ListRolesCommand } from "@aws-sdk/client-iam";
import type { IAMClient } from "@aws-sdk/client-iam";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

import type { AwsProxy } from "../support/aws-proxy.js";
import { iamTotals, startAwsProxy } from "../support/aws-proxy.js";
import { runCli } from "../support/cli.js";
import type { MotoServer } from "../support/moto.js";
import { motoAvailability, motoEnv, startMoto } from "../support/moto.js";
import { copyExample, iamClient, readStatus, removeRepo } from "./helpers.js";

/**
 * An installed identity whose file stops being valid YAML. The loader cannot read the
 * file, so only the previous status file names its identity. The online plan must keep
 * it as installed instead of treating it as removed.
 */

const availability = motoAvailability();
const BROKEN = "identities/aws-queue-consumer.yaml";

describe.skipIf(!availability.run)(`a file that cannot be read, against moto ${availability.reason}`, () => {
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
    repo = await copyExample();
    const applied = await runCli(["apply", repo], { env: env() });
    expect(applied.code).toBe(0);
    await writeFile(path.join(repo, BROKEN), "apiVersion: wid/v1\nkind: WorkloadIdentity\nmetadata: [unclosed\n", "utf8");
    proxy.resetCounts();
  });
  afterEach(async () => {
    await removeRepo(repo);
  });

  it("plans nothing for the identity, even with prune on", async () => {
    const settings = path.join(repo, "settings.yaml");
    await writeFile(settings, "apiVersion: wid/v1\nkind: Settings\nspec:\n  issuer: https://oidc.example.com\n  prune: true\n", "utf8");

    const planned = await runCli(["plan", repo, "--format", "json"], { env: env() });

    expect(planned.code).toBe(1);
    expect(planned.stderr).toContain(`${BROKEN}:`);
    const plan = JSON.parse(planned.stdout) as { changes: unknown[]; orphans: unknown[]; invalid: { identity: string; message: string }[]; identities: Record<string, { state: string }> };
    expect(plan.changes).toEqual([]);
    expect(plan.orphans).toEqual([]);
    expect(plan.invalid).toEqual([expect.objectContaining({ identity: "aws-queue-consumer", message: expect.stringContaining(BROKEN) as unknown })]);
    expect(plan.identities["aws-queue-consumer"]?.state).toBe("invalid");
  });

  it("applies no IAM write and keeps the mapping", async () => {
    const before = await readStatus(repo);

    const applied = await runCli(["apply", repo], { env: env() });

    expect(applied.code).toBe(1);
    expect(iamTotals(proxy.counts()).writes).toBe(0);
    const roles = (await iam.send(new ListRolesCommand({}))).Roles?.map((role) => role.RoleName);
    expect(roles).toContain("wid-aws-queue-consumer");
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: "wid-aws-queue-consumer" }))).PolicyNames).toEqual(["wid-permissions"]);

    const status = await readStatus(repo);
    const identity = status.identities["aws-queue-consumer"];
    expect(identity).toMatchObject({ state: "invalid", file: BROKEN, desiredHash: null, installedHash: before.identities["aws-queue-consumer"]?.installedHash });
    expect(identity?.message).toContain(`${BROKEN} has errors`);
    expect(identity?.workloads).toEqual(["platform/dead-letter-drain", "shop/order-worker"]);
    expect(status.workloads["shop/order-worker"]?.aws).toMatchObject({ identity: "aws-queue-consumer", ready: true });
    expect(status.workloads["platform/dead-letter-drain"]?.aws).toEqual(before.workloads["platform/dead-letter-drain"]?.aws);
    expect(status.identities["aws-shop-assets"]).toEqual(before.identities["aws-shop-assets"]);
  });
});
