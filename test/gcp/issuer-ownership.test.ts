import { writeFile } from "node:fs/promises";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import type { FakeGcp } from "../support/fake-gcp.js";
import { startFakeGcp } from "../support/fake-gcp.js";
import { issuerDigest } from "../../src/providers/ownership.js";
import { createRepo, ISSUER, principal, readStatus, removeRepo, run, writeIdentity, writeIntegration } from "./helpers.js";

const PROJECT = { projectId: "wid-test-project", projectNumber: "123456789012" };
const ROLE = "projects/wid-test-project/roles/wid_reader";
const OTHER_MARK = "Managed by wid for integration gcp-prod, issuer 0123456789abcdef.";

describe("Google Cloud ownership by issuer", () => {
  let fake: FakeGcp;
  let repo: string;

  beforeEach(async () => {
    fake = await startFakeGcp({ projects: [PROJECT] });
    repo = await createRepo({ integrations: [{ name: "gcp-prod", project: PROJECT }], identities: [{ name: "reader", permissions: ["storage.objects.get"] }] });
  });
  afterEach(async () => {
    await removeRepo(repo);
    await fake.stop();
  });

  it("leaves another issuer's role alone", async () => {
    fake.seedRole(PROJECT.projectId, { roleId: "wid_reader", description: OTHER_MARK, permissions: ["storage.objects.create"] });
    fake.seedRole(PROJECT.projectId, { roleId: "wid_uploader", description: OTHER_MARK, permissions: ["storage.objects.create"] });
    await writeFile(path.join(repo, "settings.yaml"), `apiVersion: wid/v1\nkind: Settings\nspec:\n  issuer: ${ISSUER}\n  prune: true\n`);

    const applied = await run(fake, repo, "apply");
    expect(applied.plan?.identities.reader?.state).toBe("conflict");
    expect(applied.plan?.conflicts[0]?.message).toContain(`custom role ${ROLE} is managed by wid for another issuer (0123456789abcdef; this repository's issuer gives ${issuerDigest(ISSUER)})`);
    expect(applied.plan?.changes.filter((change) => change.type === "custom-role" || change.type === "role-binding")).toEqual([]);
    expect(applied.plan?.orphans).toEqual([]);
    expect(fake.role(PROJECT.projectId, "wid_uploader")?.deleted).toBe(false);
    expect(fake.role(PROJECT.projectId, "wid_reader")?.includedPermissions).toEqual(["storage.objects.create"]);
  });

  it("rewrites a mark written without the issuer", async () => {
    expect((await run(fake, repo, "apply")).outcome).toBe("applied");
    const role = fake.role(PROJECT.projectId, "wid_reader");
    if (role === undefined) throw new Error("the role is missing");
    role.description = "Managed by wid for integration gcp-prod.";

    const planned = await run(fake, repo, "plan");
    expect(planned.plan?.changes.map((change) => `${change.action} ${change.resource}`)).toEqual(["update custom-role/wid_reader"]);
    expect((await run(fake, repo, "apply")).outcome).toBe("applied");
    expect(fake.role(PROJECT.projectId, "wid_reader")?.description).toBe(`Managed by wid for integration gcp-prod, issuer ${issuerDigest(ISSUER)}.`);
  });

  it("hands a role over to another integration of the project", async () => {
    await writeIntegration(repo, { name: "gcp-prod", project: PROJECT, poolId: "prod-pool" });
    await writeIntegration(repo, { name: "gcp-batch", project: PROJECT, poolId: "batch-pool" });
    expect((await run(fake, repo, "apply")).outcome).toBe("applied");
    await writeFile(path.join(repo, "settings.yaml"), `apiVersion: wid/v1\nkind: Settings\nspec:\n  issuer: ${ISSUER}\n  prune: true\n`);
    await writeIdentity(repo, { name: "reader", permissions: ["storage.objects.get"], integration: "gcp-batch" }, "gcp-prod");

    const applied = await run(fake, repo, "apply");
    expect(applied.outcome).toBe("applied");
    expect(applied.plan?.changes.filter((change) => change.action === "delete")).toEqual([]);
    expect(applied.plan?.identities.reader?.state).toBe("installed");
    expect(fake.role(PROJECT.projectId, "wid_reader")).toMatchObject({ deleted: false, description: `Managed by wid for integration gcp-batch, issuer ${issuerDigest(ISSUER)}.` });
    expect(fake.policy(PROJECT.projectId).bindings.filter((binding) => binding.role === ROLE)).toEqual([{ role: ROLE, members: [principal(PROJECT, "reader", "batch-pool")] }]);
    expect((await readStatus(repo)).identities.reader?.integration).toBe("gcp-batch");
    expect((await run(fake, repo, "plan")).outcome).toBe("no-changes");
  });
});
