import { afterEach, beforeEach, describe, expect, it } from "vitest";

import type { FakeGcp, StoredBinding } from "../support/fake-gcp.js";
import { startFakeGcp } from "../support/fake-gcp.js";
import { createRepo, principal, readStatus, removeRepo, run, writeIdentity, writeIntegration } from "./helpers.js";

const PROJECT = { projectId: "wid-test-project", projectNumber: "123456789012" };
const CONDITIONAL: StoredBinding = {
  role: "roles/storage.objectViewer",
  members: ["group:auditors@example.com"],
  condition: { expression: "request.time < timestamp('2030-01-01T00:00:00Z')", title: "until 2030", description: "temporary audit access" },
};
const UNRELATED: StoredBinding[] = [
  { role: "roles/owner", members: ["user:owner@example.com"] },
  CONDITIONAL,
  // An unconditional binding of the same role as a conditional one, with another member.
  { role: "roles/storage.objectViewer", members: ["serviceAccount:batch@wid-test-project.iam.gserviceaccount.com"] },
];

describe("Google Cloud project policy", () => {
  let fake: FakeGcp;
  let repo: string;

  beforeEach(async () => {
    fake = await startFakeGcp({ projects: [PROJECT] });
    fake.setBindings(PROJECT.projectId, UNRELATED);
    repo = await createRepo({
      integrations: [{ name: "gcp-prod", project: PROJECT }],
      identities: [
        { name: "reader", permissions: ["storage.objects.get"] },
        { name: "writer", permissions: ["storage.objects.create"] },
      ],
    });
  });
  afterEach(async () => {
    await removeRepo(repo);
    await fake.stop();
  });

  it("retries a concurrent change, keeping unrelated bindings", async () => {
    const concurrent: StoredBinding = { role: "roles/logging.viewer", members: ["user:oncall@example.com"], condition: { expression: "request.time.getHours('UTC') < 18", title: "office hours" } };
    fake.injectConcurrentPolicyWrite(PROJECT.projectId, (policy) => {
      policy.bindings.push(structuredClone(concurrent));
      policy.version = 3;
    });

    const applied = await run(fake, repo, "apply");
    expect(applied.outcome).toBe("applied");
    expect(fake.concurrentPolicyWrites()).toBe(1);

    const writes = fake.requests().filter((entry) => entry.method === "cloudresourcemanager.projects.setIamPolicy");
    expect(writes.map((entry) => entry.status)).toEqual([409, 200]);
    const reads = fake.requests().filter((entry) => entry.method === "cloudresourcemanager.projects.getIamPolicy");
    expect(reads.every((entry) => JSON.stringify(entry.body) === JSON.stringify({ options: { requestedPolicyVersion: 3 } }))).toBe(true);

    const policy = fake.policy(PROJECT.projectId);
    expect(policy.version).toBe(3);
    for (const binding of [...UNRELATED, concurrent]) expect(policy.bindings).toContainEqual(binding);
    expect(policy.bindings).toContainEqual({ role: "projects/wid-test-project/roles/wid_reader", members: [principal(PROJECT, "reader")] });
    expect(policy.bindings).toContainEqual({ role: "projects/wid-test-project/roles/wid_writer", members: [principal(PROJECT, "writer")] });
    expect(policy.bindings).toHaveLength(UNRELATED.length + 3);
  });

  it("fails only bindings under constant contention", async () => {
    fake.injectConcurrentPolicyWrite(PROJECT.projectId, (policy) => void policy.bindings.push({ role: "roles/viewer", members: [`user:racer-${policy.etag.length}@example.com`] }), 5);

    const applied = await run(fake, repo, "apply");
    expect(applied.outcome).toBe("failed");
    const failed = applied.report?.outcomes.filter((outcome) => outcome.outcome === "failed") ?? [];
    expect(failed.map((outcome) => outcome.resource)).toEqual(["role-binding/wid_reader", "role-binding/wid_writer"]);
    expect(failed[0]?.message).toContain("the project IAM policy was changed by another writer during each of 5 read-modify-write attempts");
    expect(fake.role(PROJECT.projectId, "wid_reader")?.deleted).toBe(false);

    // The next run converges.
    const again = await run(fake, repo, "apply");
    expect(again.outcome).toBe("applied");
    expect((await run(fake, repo, "plan")).outcome).toBe("no-changes");
  });

  it("binds wid's role to its principal alone", async () => {
    await run(fake, repo, "apply");
    const role = "projects/wid-test-project/roles/wid_reader";
    // Someone else adds members to wid's role, and a conditional binding of it.
    fake.setBindings(PROJECT.projectId, [
      ...UNRELATED,
      { role, members: [principal(PROJECT, "reader"), "allUsers", "principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/wid-pool/*"] },
      { role, members: ["user:someone@example.com"], condition: { expression: "true", title: "always" } },
      { role: "projects/wid-test-project/roles/wid_writer", members: [principal(PROJECT, "writer")] },
    ]);

    const planned = await run(fake, repo, "plan");
    expect(planned.outcome).toBe("changes");
    expect(planned.plan?.changes.map((change) => `${change.action} ${change.resource}`)).toEqual(["update role-binding/wid_reader"]);
    expect(planned.plan?.changes[0]?.diff?.attributes).toEqual([
      "member - allUsers",
      "member - principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/wid-pool/*",
      "conditional binding - always",
    ]);
    expect((await run(fake, repo, "apply")).outcome).toBe("applied");

    const bindings = fake.policy(PROJECT.projectId).bindings;
    expect(bindings.filter((binding) => binding.role === role)).toEqual([{ role, members: [principal(PROJECT, "reader")] }]);
    for (const binding of UNRELATED) expect(bindings).toContainEqual(binding);
    expect((await run(fake, repo, "plan")).outcome).toBe("no-changes");
  });

  it("reports foreign members as drift with install: false", async () => {
    await run(fake, repo, "apply");
    const role = "projects/wid-test-project/roles/wid_reader";
    await writeIdentity(repo, { name: "reader", permissions: ["storage.objects.get"], install: false }, "gcp-prod");
    fake.setBindings(PROJECT.projectId, [
      ...UNRELATED,
      { role, members: [principal(PROJECT, "reader"), "allUsers"] },
      { role: "projects/wid-test-project/roles/wid_writer", members: [principal(PROJECT, "writer")] },
    ]);
    fake.resetCalls();

    const applied = await run(fake, repo, "apply");
    expect(applied.plan?.pending.map((change) => `${change.action} ${change.resource}`)).toEqual(["update role-binding/wid_reader"]);
    expect(fake.writes()).toEqual([]);
    const status = await readStatus(repo);
    expect(status.identities.reader?.state).toBe("drifted");
    expect(status.identities.reader?.message).toBe(
      "the binding of the custom role was changed outside wid: a member was added to it (allUsers), and install is false, so wid does not restore it",
    );
  });

  it("never touches bindings of roles it does not own", async () => {
    const role = "projects/wid-test-project/roles/wid_reader";
    fake.seedRole(PROJECT.projectId, { roleId: "wid_reader", description: "hand-made", permissions: ["storage.objects.get"] });
    fake.setBindings(PROJECT.projectId, [...UNRELATED, { role, members: ["allUsers"] }]);

    const applied = await run(fake, repo, "apply");
    expect(applied.plan?.identities.reader?.state).toBe("conflict");
    expect(applied.plan?.changes.some((change) => change.identity === "reader")).toBe(false);
    expect(fake.policy(PROJECT.projectId).bindings).toContainEqual({ role, members: ["allUsers"] });
  });

  it("removes the old pool's principal after a poolId change", async () => {
    await run(fake, repo, "apply");
    await writeIntegration(repo, { name: "gcp-prod", project: PROJECT, poolId: "new-pool" });

    const applied = await run(fake, repo, "apply");
    expect(applied.outcome).toBe("applied");
    const reader = fake.policy(PROJECT.projectId).bindings.filter((binding) => binding.role === "projects/wid-test-project/roles/wid_reader");
    expect(reader).toEqual([{ role: "projects/wid-test-project/roles/wid_reader", members: [principal(PROJECT, "reader", "new-pool")] }]);
    expect((await run(fake, repo, "plan")).outcome).toBe("no-changes");
  });
});
