import { describe, expect, it } from "vitest";

import { canonicalPolicy, canonicalPolicyJson } from "../../src/config/aws-policy/canonical.js";
import type { AwsIdentity, PolicyDocument } from "../../src/config/model.js";
import { permissionsHash } from "../../src/plan/hash.js";
import { SAMPLE_POLICY as POLICY, scramble } from "../support/aws-proxy.js";

describe("canonical policy form", () => {
  it("is the same for IAM's rewrites", () => {
    expect(canonicalPolicyJson(scramble(POLICY))).toBe(canonicalPolicyJson(POLICY));
  });

  it("treats one-element lists as their element", () => {
    const collapsed = { Version: "2012-10-17", Statement: { Effect: "Allow", Action: "s3:GetObject", Resource: "*" } };
    const listed = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: ["*"] }] };
    expect(canonicalPolicyJson(collapsed)).toBe(canonicalPolicyJson(listed));
  });

  it("ignores the case of actions and condition keys", () => {
    const lower = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:getobject", Resource: "*", Condition: { StringEquals: { "aws:resourceaccount": "1" } } }] };
    const mixed = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "S3:GetObject", Resource: "*", Condition: { StringEquals: { "aws:ResourceAccount": "1" } } }] };
    expect(canonicalPolicyJson(lower)).toBe(canonicalPolicyJson(mixed));
  });

  it("keeps the case of resources and condition values", () => {
    const a = { Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::Bucket" }] };
    const b = { Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket" }] };
    expect(canonicalPolicyJson(a)).not.toBe(canonicalPolicyJson(b));
  });

  it("reads numbers and booleans as text", () => {
    const typed = { Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": true }, NumericLessThan: { "s3:max-keys": 10 } } }] };
    const text = { Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "true" }, NumericLessThan: { "s3:max-keys": "10" } } }] };
    expect(canonicalPolicyJson(typed)).toBe(canonicalPolicyJson(text));
  });

  it("drops duplicate statements and entries", () => {
    const once = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] };
    const twice = { Version: "2012-10-17", Statement: [once.Statement[0], { Effect: "Allow", Action: ["s3:GetObject", "s3:GetObject"], Resource: "*" }] };
    expect(canonicalPolicyJson(twice)).toBe(canonicalPolicyJson(once));
  });

  it("defaults the Version as IAM does", () => {
    expect(canonicalPolicy({ Statement: [] }).Version).toBe("2008-10-17");
  });

  it("sees a real change", () => {
    const widened = { ...POLICY, Statement: [{ ...POLICY.Statement[0], Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"] }, POLICY.Statement[1]] };
    expect(canonicalPolicyJson(widened)).not.toBe(canonicalPolicyJson(POLICY));
  });

  it("gives the permissions hash of the canonical form", () => {
    const source = { file: "identities/a.yaml", line: 1, column: 1 };
    const base = { name: "a", integration: "aws-prod", install: true, scope: { projects: undefined, tags: undefined, matchAllTags: false }, source, permissionsSource: source };
    const scrambled: AwsIdentity = { ...base, provider: "aws", aws: { policy: scramble(POLICY) as PolicyDocument } };
    const written: AwsIdentity = { ...base, provider: "aws", aws: { policy: POLICY } };
    expect(permissionsHash(scrambled)).toBe(permissionsHash(written));
  });
});
