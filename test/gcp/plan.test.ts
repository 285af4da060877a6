import { readFile, rm, writeFile } from "node:fs/promises";

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

import type { FakeGcp } from "../support/fake-gcp.js";
import { startFakeGcp } from "../support/fake-gcp.js";
import { createRepo, identityFile, principal, readStatus, removeRepo, run, writeCounts, writeIdentity } from "./helpers.js";

const PROJECT = { projectId: "wid-test-project", projectNumber: "123456789012" };

describe("Google Cloud plans", () => {
  let fake: FakeGcp;
  let repo: string;

  beforeAll(async () => {
    fake = await startFakeGcp({ projects: [PROJECT] });
  });
  afterAll(async () => {
    await fake.stop();
  });
  afterEach(async () => {
    await removeRepo(repo);
    for (const role of fake.roles(PROJECT.projectId)) fake.purgeRole(PROJECT.projectId, role.roleId);
    fake.purgePool(PROJECT.projectId, "wid-pool");
    fake.setBindings(PROJECT.projectId, []);
    fake.resetCalls();
  });

  describe("with an unsupported permission", () => {
    beforeEach(async () => {
      repo = await createRepo({
        integrations: [{ name: "gcp-prod", project: PROJECT }],
        identities: [{ name: "token-minter", permissions: ["storage.objects.get", "iam.serviceAccounts.getAccessToken", "storage.objects.teleport"] }],
      });
    });

    it("rejects unsupported permissions without writes", async () => {
      const planned = await run(fake, repo, "plan");
      const state = planned.plan?.identities["token-minter"];
      expect(state?.state).toBe("invalid");
      expect(state?.message).toMatch(/^identities\/token-minter\.yaml:\d+:\d+: spec\.gcp\.permissions /);
      expect(state?.message).toContain("permission iam.serviceAccounts.getAccessToken cannot be used in custom roles (its customRolesSupportLevel is NOT_SUPPORTED)");
      expect(state?.message).toContain("permission storage.objects.teleport is not testable on project wid-test-project");
      expect(planned.plan?.changes).toEqual([]);
      expect(planned.plan?.invalid.map((note) => note.identity)).toEqual(["token-minter"]);

      await run(fake, repo, "apply");
      expect(fake.writes()).toEqual([]);
      expect(fake.pool(PROJECT.projectId, "wid-pool")).toBeUndefined();
    });
  });

  describe("after an install", () => {
    beforeEach(async () => {
      repo = await createRepo({
        integrations: [{ name: "gcp-prod", project: PROJECT }],
        identities: [
          { name: "reader", permissions: ["storage.objects.get"], projects: ["shop"] },
          { name: "writer", permissions: ["storage.objects.create"], projects: ["analytics"] },
        ],
      });
      expect((await run(fake, repo, "apply")).outcome).toBe("applied");
      fake.resetCalls();
    });

    it("writes nothing for a scope-only change", async () => {
      const file = identityFile(repo, "reader");
      await writeFile(file, (await readFile(file, "utf8")).replace("projects: [shop]", "projects: [analytics]"));

      const planned = await run(fake, repo, "plan");
      expect(planned.outcome).toBe("no-changes");
      expect(planned.plan?.workloads["analytics/etl"]?.gcp?.identity).toBe("reader");
      expect(planned.plan?.workloads["analytics/etl"]?.gcp?.shadowed).toEqual(["writer"]);

      const applied = await run(fake, repo, "apply");
      expect(applied.outcome).toBe("applied");
      expect(fake.writes()).toEqual([]);
      expect((await readStatus(repo)).workloads["analytics/etl"]?.gcp?.identity).toBe("reader");
    });

    it("patches changed permissions with a mask", async () => {
      await writeIdentity(repo, { name: "reader", permissions: ["storage.objects.get", "storage.objects.list"], projects: ["shop"] }, "gcp-prod");

      const planned = await run(fake, repo, "plan");
      expect(planned.plan?.changes).toEqual([
        expect.objectContaining({ action: "update", resource: "custom-role/wid_reader", permissions: true, diff: { permissionsAdded: ["storage.objects.list"] } }),
      ]);
      await run(fake, repo, "apply");
      expect(writeCounts(fake)).toEqual({ "iam.projects.roles.patch": 1 });
      expect(fake.requests().find((entry) => entry.method === "iam.projects.roles.patch")?.query.updateMask).toBe("includedPermissions");
      expect(fake.role(PROJECT.projectId, "wid_reader")?.includedPermissions).toEqual(["storage.objects.get", "storage.objects.list"]);
    });

    it("restores a drifted provider with a mask", async () => {
      const provider = fake.provider(PROJECT.projectId, "wid-pool", "wid-issuer");
      if (provider === undefined) throw new Error("the provider is missing");
      provider.oidc.issuerUri = "https://attacker.example.com";
      provider.oidc.allowedAudiences = ["anything"];

      const planned = await run(fake, repo, "plan");
      expect(planned.plan?.changes).toEqual([
        expect.objectContaining({
          action: "update",
          resource: "workload-identity-pool-provider/wid-issuer",
          diff: { attributes: ['issuer: "https://attacker.example.com" -> "https://oidc.example.com"', "allowed audiences: anything -> (the default audience)"] },
        }),
      ]);
      await run(fake, repo, "apply");
      expect(fake.requests().find((entry) => entry.method.endsWith("providers.patch"))?.query.updateMask).toBe("oidc.issuerUri,oidc.allowedAudiences");
      expect(fake.provider(PROJECT.projectId, "wid-pool", "wid-issuer")?.oidc).toEqual({ issuerUri: "https://oidc.example.com", allowedAudiences: [], jwksJson: "" });
    });

    it("keeps a removed identity's role", async () => {
      await rm(identityFile(repo, "writer"));

      const planned = await run(fake, repo, "plan");
      expect(planned.plan?.changes).toEqual([]);
      expect(planned.plan?.orphans.map((note) => note.identity)).toEqual(["writer"]);
      await run(fake, repo, "apply");
      expect(fake.writes()).toEqual([]);
      expect((await readStatus(repo)).identities.writer?.state).toBe("orphaned");
    });

    it("prunes a removed identity", async () => {
      await rm(identityFile(repo, "writer"));
      const settings = `${repo}/settings.yaml`;
      await writeFile(settings, (await readFile(settings, "utf8")).replace("prune: false", "prune: true"));

      const planned = await run(fake, repo, "plan");
      expect(planned.plan?.changes.map((change) => `${change.action} ${change.resource}`)).toEqual(["delete role-binding/wid_writer", "delete custom-role/wid_writer"]);
      const applied = await run(fake, repo, "apply");
      expect(applied.outcome).toBe("applied");

      expect(fake.role(PROJECT.projectId, "wid_writer")?.deleted).toBe(true);
      const bindings = fake.policy(PROJECT.projectId).bindings;
      expect(bindings.some((binding) => binding.role.endsWith("wid_writer"))).toBe(false);
      expect(bindings).toContainEqual({ role: "projects/wid-test-project/roles/wid_reader", members: [principal(PROJECT, "reader")] });
      expect(fake.role(PROJECT.projectId, "wid_reader")?.deleted).toBe(false);
      expect((await run(fake, repo, "plan")).outcome).toBe("no-changes");
    });

    it("keeps an invalid identity's role under prune", async () => {
      await writeFile(identityFile(repo, "writer"), "apiVersion: wid/v1\nkind: WorkloadIdentity\nmetadata: { name: writer }\nspec:\n  provider: gcp\n  integration: gcp-prod\n  gcp: { permissions: 42 }\n");
      const settings = `${repo}/settings.yaml`;
      await writeFile(settings, (await readFile(settings, "utf8")).replace("prune: false", "prune: true"));

      const planned = await run(fake, repo, "plan");
      expect(planned.plan?.changes).toEqual([]);
      expect(planned.plan?.identities.writer?.state).toBe("invalid");
      await run(fake, repo, "apply");
      expect(fake.writes()).toEqual([]);
    });
  });
});
