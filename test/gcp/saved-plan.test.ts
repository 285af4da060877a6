import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { runCli } from "../support/cli.js";
import type { FakeGcp } from "../support/fake-gcp.js";
import { fakeGcpEnv, startFakeGcp } from "../support/fake-gcp.js";
import { createRepo } from "./helpers.js";

const PROJECT = { projectId: "wid-test-project", projectNumber: "123456789012" };

describe("saved Google Cloud plan", () => {
  let fake: FakeGcp;
  let repo: string;
  let scratch: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    fake = await startFakeGcp({ projects: [PROJECT] });
    scratch = await mkdtemp(path.join(tmpdir(), "wid-gcp-saved-"));
    env = await fakeGcpEnv(fake, scratch);
    repo = await createRepo({ integrations: [{ name: "gcp-prod", project: PROJECT }], identities: [{ name: "reader", permissions: ["storage.objects.get"] }] });
  });
  afterAll(async () => {
    await fake.stop();
    await rm(repo, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  });

  it("applies as planned, then rejects a stale one", async () => {
    const planFile = path.join(scratch, "plan.json");
    const planned = await runCli(["plan", repo, "--out", planFile], { env });
    expect(planned.code).toBe(2);

    const applied = await runCli(["apply", planFile], { env });
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    expect(fake.role(PROJECT.projectId, "wid_reader")?.includedPermissions).toEqual(["storage.objects.get"]);

    // The cloud moved on: the role that plan meant to create exists now.
    const stale = await runCli(["apply", planFile], { env });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain("out of date");
  });
});
