import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { runCli } from "../support/cli.js";
import type { FakeGcp } from "../support/fake-gcp.js";
import { fakeGcpEnv, startFakeGcp } from "../support/fake-gcp.js";
import { createRepo, readStatus } from "./helpers.js";

const PROJECT = { projectId: "wid-test-project", projectNumber: "123456789012" };

describe("wid plan and apply on Google Cloud", () => {
  let fake: FakeGcp;
  let repo: string;
  let credentials: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    fake = await startFakeGcp({ projects: [PROJECT] });
    credentials = await mkdtemp(path.join(tmpdir(), "wid-gcp-adc-"));
    env = await fakeGcpEnv(fake, credentials);
    repo = await createRepo({ integrations: [{ name: "gcp-prod", project: PROJECT }], identities: [{ name: "reader", permissions: ["storage.objects.get"] }] });
  });
  afterAll(async () => {
    await fake.stop();
    await rm(repo, { recursive: true, force: true });
    await rm(credentials, { recursive: true, force: true });
  });

  it("converges with Application Default Credentials", async () => {
    const planned = await runCli(["plan", repo], { env });
    expect(planned.stderr).toBe("");
    expect(planned.code).toBe(2);
    expect(planned.stdout).toContain("workload-identity-pool/wid-pool");

    const applied = await runCli(["apply", repo], { env });
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("Apply complete: 4 created, 0 updated, 0 deleted, 0 unchanged, 0 failed.");
    expect(fake.calls()["sts.token"]).toBeGreaterThanOrEqual(1);
    expect((await readStatus(repo)).identities.reader?.state).toBe("installed");

    const again = await runCli(["plan", repo], { env });
    expect(again.code).toBe(0);
  });

  it("fails without credentials, printing no token", async () => {
    const result = await runCli(["plan", repo], { env: { WID_GCP_IAM_ENDPOINT: fake.endpoint, WID_GCP_CRM_ENDPOINT: fake.endpoint, GOOGLE_APPLICATION_CREDENTIALS: path.join(credentials, "missing.json") } });
    expect(result.code).toBe(1);
    expect(`${result.stdout}${result.stderr}`).toContain("gcp-prod");
    expect(`${result.stdout}${result.stderr}`).not.toContain(fake.token);
  });
});
