import { describe, expect, it } from "vitest";

import { editBindings } from "../../src/providers/gcp/policy.js";

const ROLE = "projects/p/roles/wid_reader";
const MEMBER = "principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/wid-pool/subject/identity:reader";
const CONDITION = { expression: "request.time < timestamp('2030-01-01T00:00:00Z')", title: "until 2030" };

describe("editBindings", () => {
  it("adds a binding for a role that has none", () => {
    const result = editBindings([{ role: "roles/owner", members: ["user:a@example.com"] }], [{ action: "add", role: ROLE, member: MEMBER }]);
    expect(result.bindings).toEqual([
      { role: "roles/owner", members: ["user:a@example.com"] },
      { role: ROLE, members: [MEMBER] },
    ]);
    expect(result.effective).toEqual([true]);
  });

  it("adds to the unconditional binding only", () => {
    const conditional = { role: ROLE, members: ["user:b@example.com"], condition: CONDITION };
    const result = editBindings([conditional, { role: ROLE, members: ["user:c@example.com"] }], [{ action: "add", role: ROLE, member: MEMBER }]);
    expect(result.bindings).toEqual([conditional, { role: ROLE, members: ["user:c@example.com", MEMBER] }]);
  });

  it("reports an edit that changes nothing", () => {
    const result = editBindings([{ role: ROLE, members: [MEMBER] }], [
      { action: "add", role: ROLE, member: MEMBER },
      { action: "remove", role: "projects/p/roles/wid_gone", member: MEMBER },
    ]);
    expect(result.effective).toEqual([false, false]);
  });

  it("removes the member and drops a binding left empty", () => {
    const result = editBindings(
      [
        { role: ROLE, members: [MEMBER] },
        { role: ROLE, members: [MEMBER], condition: CONDITION },
        { role: "roles/viewer", members: [MEMBER, "user:d@example.com"] },
      ],
      [{ action: "remove", role: ROLE, member: MEMBER }],
    );
    expect(result.bindings).toEqual([
      { role: ROLE, members: [MEMBER], condition: CONDITION },
      { role: "roles/viewer", members: [MEMBER, "user:d@example.com"] },
    ]);
    expect(result.effective).toEqual([true]);
  });

  it("does not change its input", () => {
    const bindings = [{ role: ROLE, members: ["user:c@example.com"] }];
    editBindings(bindings, [{ action: "add", role: ROLE, member: MEMBER }]);
    expect(bindings).toEqual([{ role: ROLE, members: ["user:c@example.com"] }]);
  });
});
