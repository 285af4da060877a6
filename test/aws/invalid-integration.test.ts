import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

import type { AwsProxy } from "../support/aws-proxy.js";
import { iamTotals, startAwsProxy } from "../support/aws-proxy.js";
import { runCli } from "../support/cli.js";
import type { MotoServer } from "../support/moto.js";
import { motoAvailability, motoEnv, startMoto } from "../support/moto.js";
import { copyExample, readStatus, removeRepo } from "./helpers.js";

/**
 * An installed AWS integration whose document becomes invalid: its account ID is
 * written as a YAML number. Its identities must keep their last installed state and
 * their workloads their last mapping, so that credentials keep working until the file
 * is fixed.
 */

const availability = motoAvailability();
const INTEGRATION = "integrations/aws-prod.yaml";
const AWS_IDENTITIES = ["aws-audit-reader", "aws-queue-consumer", "aws-reports-writer", "aws-shop-assets", "aws-shop-readonly"];

describe.skipIf(!availability.run)(`an invalid integration, against moto ${availability.reason}`, () => {
  let moto: MotoServer;
  let proxy: AwsProxy;
  let repo: string;
  let keys: string;
  const env = (): Record<string, string> => motoEnv(proxy.endpoint);

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startAwsProxy({ target: moto.endpoint });
    keys = path.join(await mkdtemp(path.join(tmpdir(), "wid-invalid-integration-keys-")), "keys.json");
    expect((await runCli(["issuer", "init", "--keys", keys, "--alg", "ES256"])).code).toBe(0);
  });
  afterAll(async () => {
    await proxy?.stop();
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto.reset();
    repo = await copyExample();
    const applied = await runCli(["apply", repo], { env: env() });
    expect(applied.code, applied.stderr).toBe(0);
    const file = path.join(repo, INTEGRATION);
    await writeFile(file, (await readFile(file, "utf8")).replace('accountId: "123456789012"', "accountId: 123456789012"), "utf8");
    proxy.resetCounts();
  });
  afterEach(async () => {
    await removeRepo(repo);
  });

  it("keeps every workload's mapping", async () => {
    const before = await readStatus(repo);

    const applied = await runCli(["apply", repo], { env: env() });

    expect(applied.code).toBe(1);
    expect(iamTotals(proxy.counts()).writes).toBe(0);
    const after = await readStatus(repo);
    expect(after.workloads).toEqual(before.workloads);
    for (const name of AWS_IDENTITIES) {
      expect(after.identities[name]).toMatchObject({ state: "invalid", installedHash: before.identities[name]?.installedHash, workloads: before.identities[name]?.workloads });
    }
  });

  it("blames the integration's file", async () => {
    const planned = await runCli(["plan", repo, "--format", "json"], { env: env() });
    const plan = JSON.parse(planned.stdout) as { invalid: { identity: string; provider: string; message: string }[] };

    expect(plan.invalid.map((note) => note.identity)).toEqual(AWS_IDENTITIES);
    for (const note of plan.invalid) {
      expect(note.provider).toBe("aws");
      expect(note.message).toBe(`its integration aws-prod is invalid (${INTEGRATION} has errors); the identity keeps its last installed state until the file is fixed`);
    }

    await runCli(["apply", repo], { env: env() });
    const status = await readStatus(repo);
    expect(status.identities["aws-shop-assets"]?.message).toBe(plan.invalid[0]?.message);
    expect(status.integrations["aws-prod"]?.message).toBe(`${INTEGRATION} has errors; the integration's resources are left as they are until it is fixed`);
  });

  it("keeps writing credentials", async () => {
    await runCli(["apply", repo], { env: env() });
    const out = await mkdtemp(path.join(tmpdir(), "wid-invalid-integration-out-"));

    const written = await runCli(["credentials", repo, "--keys", keys, "--workload", "shop/storefront", "--out", out]);

    expect(written.code, written.stderr).toBe(0);
    expect(await readFile(path.join(out, "aws.env"), "utf8")).toContain("AWS_ROLE_ARN=arn:aws:iam::123456789012:role/workload-identity/wid-aws-shop-readonly\n");
    expect(written.stderr).toContain('"integration":"aws-prod"');
    expect(written.stderr).toContain("integration is invalid or missing; the credentials use the mapping of the last reconcile, run wid validate");
  });
});
