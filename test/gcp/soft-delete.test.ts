import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

import type { FakeGcp } from "../support/fake-gcp.js";
import { startFakeGcp } from "../support/fake-gcp.js";
import { createRepo, principal, readStatus, removeRepo, run, writeCounts } from "./helpers.js";

const PROJECT = { projectId: "wid-test-project", projectNumber: "123456789012" };

describe("Google Cloud soft-deleted resources", () => {
  let fake: FakeGcp;
  let repo: string;

  beforeAll(async () => {
    fake = await startFakeGcp({ projects: [PROJECT] });
  });
  afterAll(async () => {
    await fake.stop();
  });
  beforeEach(async () => {
    repo = await createRepo({
      integrations: [{ name: "gcp-prod", project: PROJECT }],
      identities: [
        { name: "reader", permissions: ["storage.objects.get"] },
        { name: "writer", permissions: ["storage.objects.create"] },
      ],
    });
    const installed = await run(fake, repo, "apply");
    expect(installed.outcome).toBe("applied");
    fake.resetCalls();
  });
  afterEach(async () => {
    await removeRepo(repo);
    for (const role of fake.roles(PROJECT.projectId)) fake.purgeRole(PROJECT.projectId, role.roleId);
    fake.purgePool(PROJECT.projectId, "wid-pool");
  });

  it("undeletes a deleted pool and role", async () => {
    fake.softDeletePool(PROJECT.projectId, "wid-pool");
    fake.softDeleteRole(PROJECT.projectId, "wid_reader");

    const planned = await run(fake, repo, "plan");
    expect(planned.plan?.changes.map((change) => `${change.action} ${change.resource} ${change.details?.kind ?? ""}`)).toEqual([
      "create workload-identity-pool/wid-pool gcp-undelete-pool",
      "create custom-role/wid_reader gcp-undelete-role",
    ]);
    expect(planned.plan?.identities.reader?.state).toBe("installed");

    const applied = await run(fake, repo, "apply");
    expect(applied.outcome).toBe("applied");
    expect(writeCounts(fake)).toEqual({
      "iam.projects.locations.workloadIdentityPools.undelete": 1,
      "iam.projects.roles.undelete": 1,
    });
    expect(fake.pool(PROJECT.projectId, "wid-pool")?.state).toBe("ACTIVE");
    expect(fake.role(PROJECT.projectId, "wid_reader")?.deleted).toBe(false);
    // The binding stayed in the policy while the role was deleted, and works again now.
    expect(fake.policy(PROJECT.projectId).bindings).toContainEqual({ role: "projects/wid-test-project/roles/wid_reader", members: [principal(PROJECT, "reader")] });

    fake.resetCalls();
    expect((await run(fake, repo, "plan")).outcome).toBe("no-changes");
    expect((await readStatus(repo)).identities.reader?.state).toBe("installed");
  });

  it("patches undeleted resources with a mask", async () => {
    fake.softDeleteProvider(PROJECT.projectId, "wid-pool", "wid-issuer");
    const provider = fake.provider(PROJECT.projectId, "wid-pool", "wid-issuer");
    if (provider === undefined) throw new Error("the provider is missing");
    provider.attributeCondition = "true";
    fake.softDeleteRole(PROJECT.projectId, "wid_writer");
    const role = fake.role(PROJECT.projectId, "wid_writer");
    if (role === undefined) throw new Error("the role is missing");
    role.includedPermissions = ["storage.objects.delete"];

    const applied = await run(fake, repo, "apply");
    expect(applied.outcome).toBe("applied");

    const patches = fake.requests().filter((entry) => entry.method.endsWith(".patch"));
    expect(patches.map((entry) => [entry.method, entry.query.updateMask])).toEqual([
      ["iam.projects.locations.workloadIdentityPools.providers.patch", "attributeCondition"],
      ["iam.projects.roles.patch", "includedPermissions"],
    ]);
    expect(fake.provider(PROJECT.projectId, "wid-pool", "wid-issuer")).toMatchObject({ state: "ACTIVE", attributeCondition: 'assertion.sub.startsWith("identity:")' });
    expect(fake.role(PROJECT.projectId, "wid_writer")).toMatchObject({ deleted: false, includedPermissions: ["storage.objects.create"] });
    expect((await run(fake, repo, "plan")).outcome).toBe("no-changes");
  });

  it("reports a role past its undelete window", async () => {
    fake.softDeleteRole(PROJECT.projectId, "wid_reader");
    fake.expireRoleUndeleteWindow(PROJECT.projectId, "wid_reader");

    const applied = await run(fake, repo, "apply");
    expect(applied.outcome).toBe("failed");
    const failed = applied.report?.outcomes.filter((outcome) => outcome.outcome === "failed") ?? [];
    expect(failed.map((outcome) => outcome.resource)).toEqual(["custom-role/wid_reader", "role-binding/wid_reader"]);
    expect(failed[0]?.message).toContain("iam.projects.roles.create on projects/wid-test-project/roles/wid_reader failed for identity reader of integration gcp-prod with 400 FAILED_PRECONDITION");
    expect(failed[0]?.message).toContain("can no longer be undeleted");
    expect(failed[1]?.message).toBe("not attempted because the custom role of identity reader failed");
    expect(fake.role(PROJECT.projectId, "wid_writer")?.deleted).toBe(false);
    expect((await readStatus(repo)).identities.reader?.state).toBe("failed");
  });
});
