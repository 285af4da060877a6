import { createServer } from "node:http";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import type { FakeGcp } from "../support/fake-gcp.js";
import { fakeGcpAuthClient, startFakeGcp } from "../support/fake-gcp.js";
import { createRepo, readStatus, removeRepo, run, writeIdentity, writeIntegration } from "./helpers.js";

const PROD = { projectId: "wid-prod-project", projectNumber: "111111111111" };
const STAGING = { projectId: "wid-staging-project", projectNumber: "222222222222" };

describe("Google Cloud failures", () => {
  let fake: FakeGcp;
  let repo: string;

  beforeEach(async () => {
    fake = await startFakeGcp({ projects: [PROD, STAGING] });
    repo = await createRepo({
      integrations: [
        { name: "gcp-prod", project: PROD },
        { name: "gcp-staging", project: STAGING },
      ],
      identities: [
        { name: "prod-reader", permissions: ["storage.objects.get"], integration: "gcp-prod" },
        { name: "staging-reader", permissions: ["storage.objects.get"], integration: "gcp-staging" },
      ],
    });
  });
  afterEach(async () => {
    await removeRepo(repo);
    await fake.stop();
  });

  it("fails only the timed-out integration", async () => {
    fake.setOperationDelay(1500, STAGING.projectId);

    const applied = await run(fake, repo, "apply", { environment: { iamEndpoint: fake.endpoint, crmEndpoint: fake.endpoint, operationTimeoutMs: 300, requestTimeoutMs: 10_000 } });
    expect(applied.outcome).toBe("failed");
    const outcome = (resource: string, integration: string): string | undefined =>
      applied.report?.outcomes.find((each) => each.resource === resource && each.integration === integration)?.outcome;
    expect(outcome("workload-identity-pool/wid-pool", "gcp-prod")).toBe("created");
    expect(outcome("role-binding/wid_prod_reader", "gcp-prod")).toBe("created");

    const staging = applied.report?.outcomes.filter((each) => each.integration === "gcp-staging") ?? [];
    expect(staging.map((each) => [each.resource, each.outcome])).toEqual([
      ["workload-identity-pool/wid-pool", "failed"],
      ["workload-identity-pool-provider/wid-issuer", "failed"],
      ["custom-role/wid_staging_reader", "failed"],
      ["role-binding/wid_staging_reader", "failed"],
    ]);
    expect(staging[0]?.message).toMatch(/^iam\.projects\.locations\.workloadIdentityPools\.create on projects\/222222222222\/locations\/global\/workloadIdentityPools\/wid-pool failed for integration gcp-staging with DEADLINE_EXCEEDED: operation .* did not finish within 0\.3 s/);
    expect(staging[1]?.message).toBe("not attempted because workload-identity-pool/wid-pool failed");
    expect(fake.roles(STAGING.projectId)).toEqual([]);

    const status = await readStatus(repo);
    expect(status.identities["prod-reader"]?.state).toBe("installed");
    expect(status.identities["staging-reader"]?.state).toBe("failed");
    expect(status.integrations["gcp-staging"]?.state).toBe("failed");

    // The operation finishes in Google Cloud; the next run picks it up and converges.
    await new Promise((resolve) => setTimeout(resolve, 1300));
    fake.setOperationDelay(10, STAGING.projectId);
    const again = await run(fake, repo, "apply");
    expect(again.plan?.changes.filter((change) => change.integration === "gcp-staging").map((change) => change.resource)).toEqual([
      "workload-identity-pool-provider/wid-issuer",
      "custom-role/wid_staging_reader",
      "role-binding/wid_staging_reader",
    ]);
    expect(again.outcome).toBe("applied");
  });

  it("rejects a mismatched project number", async () => {
    await writeIntegration(repo, { name: "gcp-staging", project: { projectId: STAGING.projectId, projectNumber: PROD.projectNumber } });

    const applied = await run(fake, repo, "apply");
    expect(applied.outcome).toBe("failed");
    expect(applied.plan?.failedIntegrations).toEqual([
      expect.objectContaining({
        integration: "gcp-staging",
        message: expect.stringMatching(
          new RegExp(`project ${STAGING.projectId} has number ${STAGING.projectNumber}, but integration-gcp-staging\\.yaml:\\d+:\\d+ sets spec\\.gcp\\.projectNumber "${PROD.projectNumber}"`),
        ),
      }),
    ]);
    expect(fake.writes().filter((entry) => entry.path.includes(STAGING.projectNumber) || entry.path.includes(STAGING.projectId))).toEqual([]);
    expect(fake.roles(PROD.projectId).map((role) => role.roleId)).toEqual(["wid_prod_reader"]);
  });

  it("leaves an unowned role untouched", async () => {
    fake.seedRole(PROD.projectId, { roleId: "wid_prod_reader", title: "Hand-made", description: "made in the console", permissions: ["storage.buckets.list"] });

    const applied = await run(fake, repo, "apply");
    expect(applied.plan?.conflicts).toEqual([expect.objectContaining({ identity: "prod-reader", message: expect.stringContaining("exists without wid's ownership mark") })]);
    expect(fake.role(PROD.projectId, "wid_prod_reader")).toMatchObject({ title: "Hand-made", description: "made in the console", includedPermissions: ["storage.buckets.list"] });
    expect(fake.policy(PROD.projectId).bindings.some((binding) => binding.role.endsWith("wid_prod_reader"))).toBe(false);
    expect((await readStatus(repo)).identities["prod-reader"]?.state).toBe("conflict");
    expect((await readStatus(repo)).identities["staging-reader"]?.state).toBe("installed");
  });

  it("blocks an integration whose pool wid does not own", async () => {
    const started = await fetch(`${fake.endpoint}/v1/projects/${PROD.projectNumber}/locations/global/workloadIdentityPools?workloadIdentityPoolId=wid-pool`, {
      method: "POST",
      headers: { authorization: `Bearer ${fake.token}`, "content-type": "application/json" },
      body: JSON.stringify({ description: "GitHub Actions pool" }),
    });
    expect(started.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 30));
    fake.resetCalls();

    const applied = await run(fake, repo, "apply");
    expect(applied.plan?.integrations["gcp-prod"]?.state).toBe("conflict");
    expect(applied.plan?.identities["prod-reader"]?.state).toBe("conflict");
    expect(applied.plan?.identities["prod-reader"]?.message).toContain("without wid's ownership mark");
    expect(fake.writes().filter((entry) => entry.path.includes(PROD.projectNumber) || entry.path.includes(PROD.projectId))).toEqual([]);
    expect(fake.pool(PROD.projectId, "wid-pool")?.description).toBe("GitHub Actions pool");
  });

  it("rejects roles beyond the quota", async () => {
    for (let index = 0; index < 299; index++) fake.seedRole(PROD.projectId, { roleId: `team_role_${index}`, deleted: index % 2 === 0 });
    await writeIdentity(repo, { name: "prod-writer", permissions: ["storage.objects.create"], integration: "gcp-prod" }, "gcp-prod");

    const planned = await run(fake, repo, "plan");
    expect(planned.plan?.identities["prod-reader"]?.state).toBe("installed");
    expect(planned.plan?.identities["prod-writer"]?.state).toBe("invalid");
    expect(planned.plan?.identities["prod-writer"]?.message).toContain("project wid-prod-project already has 300 custom roles");
    expect(planned.plan?.changes.some((change) => change.identity === "prod-writer")).toBe(false);

    const applied = await run(fake, repo, "apply");
    expect(applied.report?.outcomes.filter((outcome) => outcome.outcome === "failed")).toEqual([]);
    expect(fake.roles(PROD.projectId)).toHaveLength(300);
  });

  it("reports an unreachable endpoint per integration", async () => {
    const applied = await run(fake, repo, "plan", { environment: { iamEndpoint: "http://127.0.0.1:9", crmEndpoint: "http://127.0.0.1:9", operationTimeoutMs: 1000, requestTimeoutMs: 1000 } });
    expect(applied.outcome).toBe("failed");
    expect(applied.plan?.failedIntegrations.map((note) => note.integration).sort()).toEqual(["gcp-prod", "gcp-staging"]);
    expect(applied.plan?.failedIntegrations[0]?.message).toMatch(/failed for integration gcp-(prod|staging) with ECONNREFUSED: .*Check the network, and WID_GCP_IAM_ENDPOINT and WID_GCP_CRM_ENDPOINT/);
    expect(applied.plan?.failedIntegrations[0]?.message).not.toContain(fake.token);
  });

  it("fails a request that gets no response", async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const address = silent.address();
    const endpoint = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;

    try {
      const planned = await run(fake, repo, "plan", { environment: { iamEndpoint: endpoint, crmEndpoint: endpoint, operationTimeoutMs: 1000, requestTimeoutMs: 500 } });
      expect(planned.outcome).toBe("failed");
      expect(planned.plan?.failedIntegrations.map((note) => note.integration).sort()).toEqual(["gcp-prod", "gcp-staging"]);
      expect(planned.plan?.failedIntegrations[0]?.message).toContain("with ETIMEDOUT: no response within WID_GCP_REQUEST_TIMEOUT_SECONDS");
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  }, 20_000);

  it("reports rejected credentials without the token", async () => {
    const planned = await run(fake, repo, "plan", { auth: fakeGcpAuthClient("expired-token") });
    expect(planned.plan?.failedIntegrations).toHaveLength(2);
    const message = planned.plan?.failedIntegrations[0]?.message ?? "";
    expect(message).toContain("with 401 UNAUTHENTICATED: Request had invalid authentication credentials.");
    expect(message).toContain("Check Application Default Credentials");
    expect(message).not.toContain("expired-token");
  });
});
