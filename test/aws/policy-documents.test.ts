import { describe, expect, it } from "vitest";

import { decodePolicyDocument } from "../../src/providers/aws/decode.js";
import { checkRoleLimits, IAM_LIMITS } from "../../src/providers/aws/limits.js";
import { diffPolicies } from "../../src/providers/aws/policy-diff.js";
import { SAMPLE_POLICY as POLICY, scramble } from "../support/aws-proxy.js";

describe("policy document decoding", () => {
  it("decodes URL-encoded documents", () => {
    expect(decodePolicyDocument(encodeURIComponent(JSON.stringify(POLICY)))).toMatchObject({ ok: true, value: POLICY });
  });

  it("accepts plain JSON", () => {
    expect(decodePolicyDocument(JSON.stringify(POLICY))).toMatchObject({ ok: true, value: POLICY });
  });

  it("accepts form encoding with plus for space", () => {
    const text = encodeURIComponent('{"Statement":[{"Sid":"a b"}]}').replace(/%20/g, "+");
    expect(decodePolicyDocument(text)).toMatchObject({ ok: true, value: { Statement: [{ Sid: "a b" }] } });
  });

  it("reports a document that is not JSON", () => {
    const decoded = decodePolicyDocument("%7Bnot json");
    expect(decoded.ok).toBe(false);
  });
});

describe("structured policy diff", () => {
  it("is empty for IAM's rewrites", () => {
    expect(diffPolicies(scramble(POLICY), POLICY)).toEqual([]);
  });

  it("lists actions and resources added and removed per statement", () => {
    const installed = { Version: "2012-10-17", Statement: [{ Sid: "Objects", Effect: "Allow", Action: ["s3:GetObject", "s3:*"], Resource: "arn:aws:s3:::b/*" }, POLICY.Statement[1]] };
    const diff = diffPolicies(installed, POLICY);
    expect(diff).toEqual([
      {
        statement: 0,
        sid: "Objects",
        change: "changed",
        actionsAdded: ["s3:PutObject"],
        actionsRemoved: ["s3:*"],
        resourcesAdded: [],
        resourcesRemoved: [],
        other: [],
      },
    ]);
  });

  it("reports added and removed statements", () => {
    const installed = { Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "iam:*", Resource: "*" }] };
    const desired = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }] };
    const diff = diffPolicies(installed, desired);
    expect(diff.map((statement) => statement.change)).toEqual(["added", "removed"]);
    expect(diff[0]?.actionsAdded).toEqual(["s3:GetObject"]);
    expect(diff[1]?.actionsRemoved).toEqual(["iam:*"]);
  });

  it("reports a changed condition", () => {
    const installed = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*", Condition: { StringEquals: { "aws:SourceVpc": "vpc-1" } } }] };
    const desired = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*", Condition: { StringEquals: { "aws:SourceVpc": "vpc-2" } } }] };
    expect(diffPolicies(installed, desired)[0]?.other).toEqual(['Condition: {"StringEquals":{"aws:SourceVpc":["vpc-1"]}} -> {"StringEquals":{"aws:SourceVpc":["vpc-2"]}}']);
  });
});

describe("IAM limits", () => {
  const valid = { roleName: "wid-a", path: "/", description: "ok", trustPolicy: "{}", policyName: "wid-permissions", policy: "{}", tags: [{ Key: "wid:managed-by", Value: "wid" }] };

  it("accept a valid role", () => {
    expect(checkRoleLimits(valid)).toEqual([]);
  });

  it("count policy size without whitespace", () => {
    const body = "x".repeat(IAM_LIMITS.roleInlinePolicies - 2);
    expect(checkRoleLimits({ ...valid, policy: `{ ${body} }` })).toEqual([]);
    expect(checkRoleLimits({ ...valid, policy: `{${body}x}` })[0]?.field).toBe("spec.aws.policy");
  });

  it("reject names, paths, descriptions and tags that IAM rejects", () => {
    const fields = (request: Partial<typeof valid>): string[] => checkRoleLimits({ ...valid, ...request }).map((violation) => violation.field);
    expect(fields({ roleName: "r".repeat(65) })).toEqual(["metadata.name"]);
    expect(fields({ roleName: "bad name" })).toEqual(["metadata.name"]);
    expect(fields({ path: `/${"p".repeat(511)}/` })).toEqual(["spec.aws.rolePath"]);
    expect(fields({ description: "emoji \u{1F600}" })).toEqual(["metadata.description"]);
    expect(fields({ description: "d".repeat(1001) })).toEqual(["metadata.description"]);
    expect(fields({ trustPolicy: "t".repeat(2049) })).toEqual(["spec.issuer"]);
    expect(fields({ tags: [{ Key: "aws:reserved", Value: "x" }] })).toEqual(["metadata.name"]);
    expect(fields({ tags: [{ Key: "k", Value: "v".repeat(257) }] })).toEqual(["metadata.name"]);
    expect(fields({ tags: Array.from({ length: 51 }, (_, index) => ({ Key: `k${index}`, Value: "v" })) })).toEqual(["metadata"]);
  });
});
