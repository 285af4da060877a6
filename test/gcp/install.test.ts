import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

import type { FakeGcp } from "../support/fake-gcp.js";
import { startFakeGcp } from "../support/fake-gcp.js";
import { issuerDigest } from "../../src/providers/ownership.js";
import { createRepo, ISSUER, principal, readStatus, removeRepo, run, writeCounts } from "./helpers.js";

const PROJECT = { projectId: "wid-test-project", projectNumber: "123456789012" };

describe("Google Cloud install", () => {
  let fake: FakeGcp;
  let repo: string;

  beforeAll(async () => {
    fake = await startFakeGcp({ projects: [PROJECT] });
  });
  afterAll(async () => {
    await fake.stop();
  });
  beforeEach(async () => {
    fake.resetCalls();
    repo = await createRepo({
      integrations: [{ name: "gcp-prod", project: PROJECT }],
      identities: [
        { name: "bigquery-reader", permissions: ["bigquery.tables.list", "bigquery.jobs.create", "bigquery.tables.getData"], description: "Read BigQuery tables" },
        { name: "uploads-writer", permissions: ["storage.objects.create", "storage.objects.get"] },
      ],
    });
  });
  afterEach(async () => {
    await removeRepo(repo);
  });

  it("installs into a fresh project", async () => {
    const planned = await run(fake, repo, "plan");
    expect(planned.outcome).toBe("changes");
    expect(planned.plan?.changes.map((change) => `${change.action} ${change.resource}`)).toEqual([
      "create workload-identity-pool/wid-pool",
      "create workload-identity-pool-provider/wid-issuer",
      "create custom-role/wid_bigquery_reader",
      "create role-binding/wid_bigquery_reader",
      "create custom-role/wid_uploads_writer",
      "create role-binding/wid_uploads_writer",
    ]);
    expect(fake.writes()).toEqual([]);

    const applied = await run(fake, repo, "apply");
    expect(applied.report?.outcomes.filter((outcome) => outcome.outcome === "failed")).toEqual([]);
    expect(applied.outcome).toBe("applied");
    expect(applied.report?.summary).toMatchObject({ created: 6, failed: 0 });

    const pool = fake.pool(PROJECT.projectId, "wid-pool");
    expect(pool?.state).toBe("ACTIVE");
    expect(pool?.description).toMatch(/^Managed by wid for integration gcp-prod, issuer [0-9a-f]{16}\./);

    const provider = fake.provider(PROJECT.projectId, "wid-pool", "wid-issuer");
    expect(provider?.attributeMapping).toEqual({ "google.subject": "assertion.sub" });
    expect(provider?.attributeCondition).toBe('assertion.sub.startsWith("identity:")');
    expect(provider?.oidc.issuerUri).toBe(ISSUER);
    expect(provider?.oidc.allowedAudiences).toEqual([]);
    expect(provider?.oidc.jwksJson).toBe("");

    const role = fake.role(PROJECT.projectId, "wid_bigquery_reader");
    expect(role?.includedPermissions).toEqual(["bigquery.jobs.create", "bigquery.tables.getData", "bigquery.tables.list"]);
    expect(role?.title).toBe("wid bigquery-reader");
    expect(role?.description).toBe(`Managed by wid for integration gcp-prod, issuer ${issuerDigest(ISSUER)}. Read BigQuery tables`);
    expect(role?.stage).toBe("GA");

    const bindings = fake.policy(PROJECT.projectId).bindings;
    expect(bindings).toContainEqual({ role: "projects/wid-test-project/roles/wid_bigquery_reader", members: [principal(PROJECT, "bigquery-reader")] });
    expect(bindings).toContainEqual({ role: "projects/wid-test-project/roles/wid_uploads_writer", members: [principal(PROJECT, "uploads-writer")] });
    expect(bindings).toContainEqual({ role: "roles/owner", members: ["user:owner@wid-test-project.example.com"] });
    expect(bindings.flatMap((binding) => binding.members).filter((member) => member.startsWith("principalSet:"))).toEqual([]);
    // All bindings of the integration go in one policy write.
    expect(writeCounts(fake)["cloudresourcemanager.projects.setIamPolicy"]).toBe(1);

    const status = await readStatus(repo);
    expect(status.integrations["gcp-prod"]).toMatchObject({ provider: "gcp", installed: true, oidcProvider: "projects/123456789012/locations/global/workloadIdentityPools/wid-pool/providers/wid-issuer" });
    expect(status.identities["bigquery-reader"]).toMatchObject({
      state: "installed",
      gcp: { role: "projects/wid-test-project/roles/wid_bigquery_reader", principal: principal(PROJECT, "bigquery-reader") },
    });
    expect(status.identities["bigquery-reader"]?.installedHash).toBe(status.identities["bigquery-reader"]?.desiredHash);
  });

  it("plans no changes after apply", async () => {
    await run(fake, repo, "apply");
    fake.resetCalls();

    const planned = await run(fake, repo, "plan");
    expect(planned.outcome).toBe("no-changes");
    expect(planned.plan?.changes).toEqual([]);
    expect(planned.plan?.pending).toEqual([]);

    const applied = await run(fake, repo, "apply");
    expect(applied.outcome).toBe("applied");
    expect(fake.writes()).toEqual([]);
  });
});
