import { afterEach, beforeEach, describe, expect, it } from "vitest";

import type { FakeGcp } from "../support/fake-gcp.js";
import { FAKE_GCP_TOKEN, startFakeGcp } from "../support/fake-gcp.js";

const POOLS = "/v1/projects/123456789012/locations/global/workloadIdentityPools";
const POOL = `${POOLS}/wid-pool`;
const ROLES = "/v1/projects/wid-test-project/roles";

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

describe("fake Google Cloud APIs", () => {
  let fake: FakeGcp;

  beforeEach(async () => {
    // Long enough that a read right after a write still sees the operation running.
    fake = await startFakeGcp({ operationDelayMs: 200, customRoleQuota: 3 });
  });
  afterEach(async () => {
    await fake.stop();
  });

  const call = async (method: string, path: string, body?: unknown, token = FAKE_GCP_TOKEN): Promise<Answer> => {
    const response = await fetch(`${fake.endpoint}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const parsed: unknown = await response.json();
    return { status: response.status, body: typeof parsed === "object" && parsed !== null ? { ...parsed } : {} };
  };
  const waitForOperation = async (name: unknown): Promise<Answer> => {
    for (let attempt = 0; attempt < 100; attempt++) {
      const operation = await call("GET", `/v1/${String(name)}`);
      if (operation.body.done === true) return operation;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`operation ${String(name)} did not finish`);
  };

  it("runs pool writes as long-running operations", async () => {
    const started = await call("POST", `${POOLS}?workloadIdentityPoolId=wid-pool`, { description: "d" });
    expect(started.status).toBe(200);
    expect(started.body.done).toBe(false);
    expect(String(started.body.name)).toMatch(/^projects\/123456789012\/locations\/global\/workloadIdentityPools\/wid-pool\/operations\//);

    expect((await call("GET", POOL)).status).toBe(404);
    expect((await call("POST", `${POOLS}?workloadIdentityPoolId=wid-pool`, {})).status).toBe(409);

    const finished = await waitForOperation(started.body.name);
    expect(finished.body.done).toBe(true);
    expect(finished.body.response).toMatchObject({ "@type": "type.googleapis.com/google.iam.v1.WorkloadIdentityPool", name: POOL.slice(4), state: "ACTIVE", description: "d" });
    expect((await call("GET", POOL)).body.state).toBe("ACTIVE");
  });

  it("reports an injected operation failure in the operation", async () => {
    fake.failNextOperation("FAILED_PRECONDITION", "the pool cannot be created now");
    const started = await call("POST", `${POOLS}?workloadIdentityPoolId=wid-pool`, {});
    const finished = await waitForOperation(started.body.name);
    expect(finished.body.done).toBe(true);
    expect(finished.body.error).toEqual({ code: 9, message: "the pool cannot be created now", details: [] });
    expect((await call("POST", `${POOLS}?workloadIdentityPoolId=wid-pool`, {})).status).toBe(200);
  });

  it("keeps soft-deleted pools and reserves their IDs", async () => {
    await waitForOperation((await call("POST", `${POOLS}?workloadIdentityPoolId=wid-pool`, {})).body.name);
    await waitForOperation((await call("DELETE", POOL)).body.name);

    expect((await call("GET", POOL)).body).toMatchObject({ state: "DELETED" });
    expect((await call("GET", POOLS)).body.workloadIdentityPools).toBeUndefined();
    expect((await call("GET", `${POOLS}?showDeleted=true`)).body.workloadIdentityPools).toHaveLength(1);

    const recreate = await call("POST", `${POOLS}?workloadIdentityPoolId=wid-pool`, {});
    expect(recreate.status).toBe(409);
    expect(recreate.body.error).toMatchObject({ code: 409, status: "ALREADY_EXISTS", message: "Requested entity already exists" });
    expect((await call("PATCH", `${POOL}?updateMask=description`, { description: "x" })).body.error).toMatchObject({ status: "FAILED_PRECONDITION" });

    await waitForOperation((await call("POST", `${POOL}:undelete`, {})).body.name);
    expect((await call("GET", POOL)).body.state).toBe("ACTIVE");
  });

  it("patches only the fields in the update mask", async () => {
    await waitForOperation((await call("POST", `${POOLS}?workloadIdentityPoolId=wid-pool`, { description: "before", displayName: "before" })).body.name);
    await waitForOperation((await call("PATCH", `${POOL}?updateMask=description`, { description: "after", displayName: "ignored" })).body.name);
    expect((await call("GET", POOL)).body).toMatchObject({ description: "after", displayName: "before" });

    const unknown = await call("PATCH", `${POOL}?updateMask=description,colour`, { description: "x" });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ status: "INVALID_ARGUMENT" });
    expect((await call("PATCH", POOL, { description: "x" })).status).toBe(400);
  });

  it("reserves soft-deleted role IDs", async () => {
    const role = { roleId: "wid_reader", role: { title: "t", includedPermissions: ["storage.objects.get"] } };
    expect((await call("POST", ROLES, role)).status).toBe(200);
    expect((await call("DELETE", `${ROLES}/wid_reader`)).body.deleted).toBe(true);

    const recreate = await call("POST", ROLES, role);
    expect(recreate.status).toBe(400);
    expect(recreate.body.error).toMatchObject({ status: "FAILED_PRECONDITION", message: "You can't create a role_id (wid_reader) which has been marked for deletion." });
    expect((await call("GET", ROLES)).body.roles).toBeUndefined();
    expect((await call("GET", `${ROLES}?showDeleted=true`)).body.roles).toEqual([expect.objectContaining({ name: "projects/wid-test-project/roles/wid_reader", deleted: true })]);

    expect((await call("POST", `${ROLES}/wid_reader:undelete`, {})).body.deleted).toBeUndefined();
    fake.softDeleteRole("wid-test-project", "wid_reader");
    fake.expireRoleUndeleteWindow("wid-test-project", "wid_reader");
    expect((await call("GET", `${ROLES}/wid_reader`)).status).toBe(404);
    expect((await call("POST", ROLES, role)).status).toBe(400);
  });

  it("lists permissions only in the FULL view", async () => {
    await call("POST", ROLES, { roleId: "wid_reader", role: { includedPermissions: ["storage.objects.get"] } });
    expect((await call("GET", ROLES)).body.roles).toEqual([expect.not.objectContaining({ includedPermissions: expect.anything() })]);
    expect((await call("GET", `${ROLES}?view=FULL`)).body.roles).toEqual([expect.objectContaining({ includedPermissions: ["storage.objects.get"] })]);
  });

  it("checks role permissions against the catalog and the quota", async () => {
    const create = (roleId: string, permissions: string[]): Promise<Answer> => call("POST", ROLES, { roleId, role: { includedPermissions: permissions } });
    expect((await create("wid_a", ["iam.serviceAccounts.getAccessToken"])).body.error).toMatchObject({ status: "INVALID_ARGUMENT" });
    expect((await create("wid_a", ["storage.objects.teleport"])).body.error).toMatchObject({ status: "INVALID_ARGUMENT" });
    expect((await create("wid_a", ["aiplatform.endpoints.predict"])).status).toBe(200);

    await create("wid_b", ["storage.objects.get"]);
    await call("DELETE", `${ROLES}/wid_b`);
    await create("wid_c", ["storage.objects.get"]);
    const over = await create("wid_d", ["storage.objects.get"]);
    expect(over.status).toBe(429);
    expect(over.body.error).toMatchObject({ status: "RESOURCE_EXHAUSTED", message: "Maximum number of roles reached. Maximum is: 3" });
  });

  it("returns the permission catalog with support levels", async () => {
    const answer = await call("POST", "/v1/permissions:queryTestablePermissions", { fullResourceName: "//cloudresourcemanager.googleapis.com/projects/wid-test-project", pageSize: 1000 });
    const permissions = answer.body.permissions;
    expect(permissions).toContainEqual({ name: "storage.objects.get", title: "storage.objects.get", stage: "GA" });
    expect(permissions).toContainEqual(expect.objectContaining({ name: "aiplatform.endpoints.predict", customRolesSupportLevel: "TESTING" }));
    expect(permissions).toContainEqual(expect.objectContaining({ name: "iam.serviceAccounts.getAccessToken", customRolesSupportLevel: "NOT_SUPPORTED" }));

    const firstPage = await call("POST", "/v1/permissions:queryTestablePermissions", { fullResourceName: "//cloudresourcemanager.googleapis.com/projects/wid-test-project", pageSize: 5 });
    expect(firstPage.body.permissions).toHaveLength(5);
    expect(typeof firstPage.body.nextPageToken).toBe("string");
  });

  it("rejects a policy write with a stale etag", async () => {
    const read = await call("POST", "/v3/projects/wid-test-project:getIamPolicy", { options: { requestedPolicyVersion: 3 } });
    fake.injectConcurrentPolicyWrite("wid-test-project", (policy) => {
      policy.bindings.push({ role: "roles/viewer", members: ["user:other@example.com"] });
    });
    const write = await call("POST", "/v3/projects/wid-test-project:setIamPolicy", { policy: { ...read.body, bindings: [] } });
    expect(write.status).toBe(409);
    expect(write.body.error).toMatchObject({ code: 409, status: "ABORTED" });
    expect(fake.policy("wid-test-project").bindings).toContainEqual({ role: "roles/viewer", members: ["user:other@example.com"] });
    expect(fake.concurrentPolicyWrites()).toBe(1);
  });

  it("hides conditions from a version 1 policy read", async () => {
    fake.setBindings("wid-test-project", [{ role: "roles/viewer", members: ["user:a@example.com"], condition: { expression: "request.time < timestamp('2030-01-01T00:00:00Z')", title: "until 2030" } }]);
    const v1 = await call("POST", "/v3/projects/wid-test-project:getIamPolicy", {});
    expect(v1.body.version).toBe(1);
    expect(v1.body.bindings).toEqual([{ role: expect.stringMatching(/^roles\/viewer_withcond_[0-9a-f]+$/), members: ["user:a@example.com"] }]);

    const v3 = await call("POST", "/v3/projects/wid-test-project:getIamPolicy", { options: { requestedPolicyVersion: 3 } });
    expect(v3.body.version).toBe(3);
    expect(v3.body.bindings).toEqual([{ role: "roles/viewer", members: ["user:a@example.com"], condition: { expression: "request.time < timestamp('2030-01-01T00:00:00Z')", title: "until 2030" } }]);
    expect((await call("POST", "/v3/projects/wid-test-project:setIamPolicy", { policy: v1.body })).status).toBe(400);
  });

  it("wraps auth and project errors in the envelope", async () => {
    const anonymous = await call("GET", ROLES, undefined, "wrong-token");
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({
      error: {
        code: 401,
        message: "Request had invalid authentication credentials. Expected OAuth 2 access token.",
        status: "UNAUTHENTICATED",
        details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "ACCESS_TOKEN_TYPE_UNSUPPORTED", domain: "iam.googleapis.com", metadata: {} }],
      },
    });
    expect((await call("GET", "/v1/projects/someone-else/roles")).body.error).toMatchObject({ code: 403, status: "PERMISSION_DENIED" });
  });

  it("counts requests by method", async () => {
    await call("GET", ROLES);
    await call("GET", ROLES);
    await call("POST", "/v3/projects/wid-test-project:getIamPolicy", {});
    expect(fake.calls()).toEqual({ "iam.projects.roles.list": 2, "cloudresourcemanager.projects.getIamPolicy": 1 });
    expect(fake.totalCalls()).toBe(3);
    expect(fake.writes()).toEqual([]);
  });
});
