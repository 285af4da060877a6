import { readFile, rm } from "node:fs/promises";
import path from "node:path";

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { git } from "../git/fixture.js";
import { runCli } from "../support/cli.js";
import type { MotoServer } from "../support/moto.js";
import { motoAvailability, motoEnv, startMoto } from "../support/moto.js";
import { awsIdentity, awsIntegration, readStatus, removeRepo, SETTINGS, WORKLOAD, writeFiles, writeRepo } from "./helpers.js";

const availability = motoAvailability();

describe.skipIf(!availability.run)(`the status file across runs ${availability.reason}`, () => {
  let moto: MotoServer;
  let repo: string;
  const env = (): Record<string, string> => motoEnv(moto.endpoint);
  const head = async (): Promise<string> => (await git(["rev-parse", "HEAD"], repo)).trim();

  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto.reset();
    repo = await writeRepo({
      "settings.yaml": SETTINGS,
      "integrations/aws-prod.yaml": awsIntegration("aws-prod"),
      "identities/s3-access.yaml": awsIdentity("s3-access"),
      "workloads/shop.yaml": WORKLOAD,
    });
    await git(["init", "-q", "-b", "main"], repo);
    await git(["add", "-A"], repo);
    await git(["commit", "-q", "-m", "Add the config"], repo);
  });
  afterEach(async () => {
    await removeRepo(repo);
  });

  it("keeps the revision after the status is committed", async () => {
    const config = await head();
    expect((await runCli(["apply", repo], { env: env() })).code).toBe(0);
    expect((await readStatus(repo)).revision).toBe(config);
    await git(["add", ".wid/status.yaml"], repo);
    await git(["commit", "-q", "-m", "Record the wid status"], repo);
    const recorded = await readFile(path.join(repo, ".wid/status.yaml"), "utf8");

    expect((await runCli(["apply", repo], { env: env() })).code).toBe(0);
    expect(await readFile(path.join(repo, ".wid/status.yaml"), "utf8")).toBe(recorded);
    expect((await git(["status", "--porcelain"], repo)).trim()).toBe("");

    await writeFiles(repo, { "identities/s3-access.yaml": awsIdentity("s3-access", { projects: "[shop, billing]" }) });
    await git(["commit", "-q", "-am", "Widen the scope"], repo);
    expect((await runCli(["apply", repo], { env: env() })).code).toBe(0);
    expect((await readStatus(repo)).revision).toBe(await head());
  });

  it("keeps a removed identity while its integration cannot be read", async () => {
    expect((await runCli(["apply", repo], { env: env() })).code).toBe(0);
    const installed = (await readStatus(repo)).identities["s3-access"];
    await rm(path.join(repo, "identities/s3-access.yaml"));

    const failed = await runCli(["apply", repo], { env: { ...env(), AWS_ENDPOINT_URL: "http://127.0.0.1:9" } });
    expect(failed.code).toBe(1);
    const kept = (await readStatus(repo)).identities["s3-access"];
    expect(kept?.state).toBe("orphaned");
    expect(kept?.message).toBe(
      "the file was removed, but integration aws-prod could not be read, so wid cannot tell whether its resources still exist; it keeps its last known state until the integration is read again",
    );
    expect(kept?.installedHash).toBe(installed?.installedHash);
    expect(kept?.aws).toEqual(installed?.aws);
    expect(kept?.file).toBeNull();

    expect((await runCli(["apply", repo], { env: env() })).code).toBe(0);
    const orphan = (await readStatus(repo)).identities["s3-access"];
    expect(orphan?.state).toBe("orphaned");
    expect(orphan?.message).toBe("the file was removed, and prune is off; its cloud resources are kept");
  });
});
