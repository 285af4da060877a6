import { describe, expect, it } from "vitest";

import { describeChanges, diffFragments } from "../../src/github/describe.js";
import { loadAndPlan, offlinePlanner } from "../../src/github/planner.js";
import { buildCheckReport, MAX_ANNOTATIONS } from "../../src/github/report.js";
import type { ResourceChange } from "../../src/plan/types.js";
import { EXAMPLE_DIR } from "./fixtures.js";

function change(fields: Partial<ResourceChange>): ResourceChange {
  return { action: "update", type: "role-policy", resource: "role-policy/wid-s3-access/wid-permissions", provider: "aws", integration: "aws-prod", identity: "s3-access", reason: "the permissions differ", ...fields };
}

describe("describeChanges", () => {
  it("names the role of an inline policy", () => {
    const text = describeChanges([
      change({ diff: { statements: [{ statement: 0, change: "changed", actionsAdded: ["s3:PutObject"], actionsRemoved: [], resourcesAdded: [], resourcesRemoved: [], other: [] }] } }),
    ]);

    expect(text).toEqual(["will update role wid-s3-access: + s3:PutObject"]);
  });

  it("merges a role and its policy", () => {
    const text = describeChanges([change({ action: "create", type: "role", resource: "role/wid-s3-access", reason: "not installed" }), change({ action: "create", reason: "not installed" })]);

    expect(text).toEqual(["will create role wid-s3-access: not installed"]);
  });

  it("names another inline policy apart", () => {
    const text = describeChanges([change({ action: "delete", resource: "role-policy/wid-s3-access/legacy", reason: "the file is the role's only policy" })]);

    expect(text).toEqual(["will delete inline policy legacy of role wid-s3-access: the file is the role's only policy"]);
  });

  it("names the OIDC provider by integration", () => {
    const text = describeChanges([change({ action: "create", type: "oidc-provider", resource: "oidc-provider/oidc.example.com", identity: null, reason: "first install" })]);

    expect(text).toEqual(["will create IAM OIDC provider of integration aws-prod: first install"]);
  });

  it("labels several statements and permissions", () => {
    const fragments = diffFragments({
      statements: [
        { statement: 0, sid: "Read", change: "changed", actionsAdded: [], actionsRemoved: ["s3:GetObject"], resourcesAdded: ["arn:aws:s3:::b/*"], resourcesRemoved: [], other: [] },
        { statement: 1, change: "added", actionsAdded: ["sqs:SendMessage"], actionsRemoved: [], resourcesAdded: [], resourcesRemoved: [], other: ["Condition differs"] },
      ],
      permissionsAdded: ["storage.objects.create"],
      permissionsRemoved: ["storage.buckets.list"],
      attributes: ["description changed"],
    });

    expect(fragments).toEqual([
      "statement 0 (Read) changed: - s3:GetObject, + arn:aws:s3:::b/*",
      "statement 1 added: + sqs:SendMessage, Condition differs",
      "+ storage.objects.create, - storage.buckets.list",
      "description changed",
    ]);
  });
});

describe("buildCheckReport", () => {
  it("caps the annotations and says so", async () => {
    const outcome = await loadAndPlan(EXAMPLE_DIR, offlinePlanner, null);
    for (let line = 1; line <= 1200; line++) {
      outcome.diagnostics.push({ file: "identities/aws-shop-assets.yaml", line, column: 1, severity: "warning", code: "test-warning", message: `warning ${line}` });
    }

    const report = buildCheckReport(outcome, { offlineReason: null, pathPrefix: "" });

    expect(report.annotations).toHaveLength(MAX_ANNOTATIONS);
    expect(report.annotations[0]?.message).toBe("warning 1");
    expect(report.summary.split("\n")[0]).toBe(`**Annotations:** the first 1,000 of 1,209 are shown on the lines; the details list every diagnostic.`);
  });

  it("titles an online plan without errors", async () => {
    const outcome = await loadAndPlan(EXAMPLE_DIR, async (input) => ({ plan: { ...(await offlinePlanner(input)).plan, mode: "online" } }), null);

    const report = buildCheckReport(outcome, { offlineReason: null, pathPrefix: "" });

    expect(report.title).toBe("Plan: 15 to create, 0 to update, 0 to delete; 2 changes pending install");
    expect(report.conclusion).toBe("neutral");
    expect(report.summary.split("\n")[0]).toBe("Planned against the cloud.");
  });
});
