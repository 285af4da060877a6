import { describe, expect, it } from "vitest";

import { policySize } from "../../src/config/aws-policy/size.js";
import { validateAwsPolicy } from "../../src/config/aws-policy/validate.js";
import { FindingSink, formatPath } from "../../src/config/diagnostics.js";

/** One expected finding: severity, code, the path under `policy` and a part of the message. */
type Expected = [severity: "error" | "warning", code: string, path: string, message: string];

interface PolicyCase {
  name: string;
  policy: unknown;
  expected: Expected[];
}

const allow = (statement: Record<string, unknown>): Record<string, unknown> => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", ...statement }] });

const cases: PolicyCase[] = [
  { name: "valid policy", policy: allow({ Action: ["s3:GetObject", "s3:List*"], Resource: "arn:aws:s3:::bucket/*" }), expected: [] },
  { name: "statement as a mapping", policy: { Version: "2012-10-17", Statement: { Effect: "Deny", Action: "s3:*", Resource: "*" } }, expected: [] },
  { name: "action names ignore case", policy: allow({ Action: "S3:getobject", Resource: "*" }), expected: [] },
  { name: "not a mapping", policy: ["x"], expected: [["error", "aws-policy-grammar", "policy", "must be a policy document mapping"]] },
  { name: "missing Version", policy: { Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] }, expected: [["error", "aws-policy-version", "policy", 'add Version: "2012-10-17"']] },
  {
    name: "old Version",
    policy: { Version: "2008-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] },
    expected: [["error", "aws-policy-version", "policy.Version", '"2008-10-17" is not supported']],
  },
  { name: "missing Statement", policy: { Version: "2012-10-17" }, expected: [["error", "aws-policy-grammar", "policy", "has no Statement"]] },
  { name: "empty Statement list", policy: { Version: "2012-10-17", Statement: [] }, expected: [["error", "aws-policy-grammar", "policy.Statement", "empty list"]] },
  { name: "Statement of strings", policy: { Version: "2012-10-17", Statement: ["x"] }, expected: [["error", "aws-policy-grammar", "policy.Statement[0]", "must be a statement mapping"]] },
  {
    name: "unknown policy element",
    policy: { Version: "2012-10-17", Statment: [], Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] },
    expected: [["error", "aws-policy-unknown-field", "policy.Statment", 'did you mean "Statement"?']],
  },
  { name: "Effect in lowercase", policy: allow({ Effect: "allow", Action: "s3:GetObject", Resource: "*" }), expected: [["error", "aws-policy-effect", "policy.Statement[0].Effect", 'did you mean "Allow"?']] },
  {
    name: "missing Effect",
    policy: { Version: "2012-10-17", Statement: [{ Action: "s3:GetObject", Resource: "*" }] },
    expected: [["error", "aws-policy-effect", "policy.Statement[0]", "has no Effect"]],
  },
  { name: "Sid with punctuation", policy: allow({ Sid: "read-assets", Action: "s3:GetObject", Resource: "*" }), expected: [["error", "aws-policy-sid", "policy.Statement[0].Sid", "only ASCII letters and digits"]] },
  {
    name: "duplicate Sid",
    policy: {
      Version: "2012-10-17",
      Statement: [
        { Sid: "Read", Effect: "Allow", Action: "s3:GetObject", Resource: "*" },
        { Sid: "Read", Effect: "Allow", Action: "s3:ListBucket", Resource: "*" },
      ],
    },
    expected: [["error", "aws-policy-sid", "policy.Statement[1].Sid", "already used"]],
  },
  { name: "Principal", policy: allow({ Principal: "*", Action: "s3:GetObject", Resource: "*" }), expected: [["error", "aws-policy-principal", "policy.Statement[0].Principal", "not allowed in an identity policy"]] },
  { name: "NotPrincipal", policy: allow({ NotPrincipal: { AWS: "x" }, Action: "s3:GetObject", Resource: "*" }), expected: [["error", "aws-policy-principal", "policy.Statement[0].NotPrincipal", "not allowed"]] },
  { name: "unknown statement element", policy: allow({ Actions: "s3:GetObject", Action: "s3:GetObject", Resource: "*" }), expected: [["error", "aws-policy-unknown-field", "policy.Statement[0].Actions", 'did you mean "Action"?']] },
  { name: "both Action and NotAction", policy: allow({ Action: "s3:GetObject", NotAction: "s3:PutObject", Resource: "arn:aws:s3:::b" }), expected: [["error", "aws-policy-grammar", "policy.Statement[0].NotAction", "cannot be used together with Action"]] },
  { name: "neither Action nor NotAction", policy: allow({ Resource: "*" }), expected: [["error", "aws-policy-grammar", "policy.Statement[0]", "has neither Action nor NotAction"]] },
  { name: "neither Resource nor NotResource", policy: allow({ Action: "s3:GetObject" }), expected: [["error", "aws-policy-grammar", "policy.Statement[0]", "has neither Resource nor NotResource"]] },
  { name: "empty Action list", policy: allow({ Action: [], Resource: "*" }), expected: [["error", "aws-policy-grammar", "policy.Statement[0].Action", "empty list"]] },
  { name: "Action as a number", policy: allow({ Action: ["s3:GetObject", 5], Resource: "*" }), expected: [["error", "aws-policy-grammar", "policy.Statement[0].Action[1]", "must be a string, not a number"]] },
  { name: "action without service", policy: allow({ Action: "GetObject", Resource: "*" }), expected: [["error", "aws-policy-action-format", "policy.Statement[0].Action", "write service:Action"]] },
  { name: "wildcard service prefix", policy: allow({ Action: "s*:GetObject", Resource: "*" }), expected: [["error", "aws-policy-action-format", "policy.Statement[0].Action", "wildcard in the service prefix"]] },
  { name: "unknown service", policy: allow({ Action: ["s3:GetObject", "s4:GetObject"], Resource: "*" }), expected: [["error", "aws-unknown-service", "policy.Statement[0].Action[1]", 'did you mean "s3"?']] },
  { name: "unknown action", policy: allow({ Action: ["s3:GetObjekt"], Resource: "*" }), expected: [["error", "aws-unknown-action", "policy.Statement[0].Action[0]", 'did you mean "s3:GetObject"?']] },
  { name: "unknown NotAction", policy: allow({ NotAction: "s3:GetObjekt", Resource: "arn:aws:s3:::b" }), expected: [["error", "aws-unknown-action", "policy.Statement[0].NotAction", 'did you mean "s3:GetObject"?']] },
  { name: "wildcard matching nothing", policy: allow({ Action: "s3:Gett*", Resource: "*" }), expected: [["error", "aws-action-no-match", "policy.Statement[0].Action", "matches no s3 action"]] },
  { name: "question mark wildcard", policy: allow({ Action: "s3:?etObject", Resource: "arn:aws:s3:::b/*" }), expected: [] },
  { name: "resource that is no ARN", policy: allow({ Action: "s3:GetObject", Resource: ["arn:aws:s3:::b", "my-bucket"] }), expected: [["error", "aws-policy-resource", "policy.Statement[0].Resource[1]", "is not an ARN"]] },
  { name: "ARN missing parts", policy: allow({ Action: "s3:GetObject", Resource: "arn:aws:s3::bucket" }), expected: [["error", "aws-policy-resource", "policy.Statement[0].Resource", "is not an ARN"]] },
  { name: "ARN with policy variable", policy: allow({ Action: "s3:GetObject", Resource: "arn:${aws:partition}:s3:::b/${aws:username}/*" }), expected: [] },
  {
    name: "unknown condition operator",
    policy: allow({ Action: "s3:GetObject", Resource: "arn:aws:s3:::b", Condition: { StringEqual: { "aws:SourceAccount": "123456789012" } } }),
    expected: [["error", "aws-policy-condition-operator", 'policy.Statement[0].Condition.StringEqual', 'did you mean "StringEquals"?']],
  },
  {
    name: "condition operator forms",
    policy: allow({
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::b",
      Condition: {
        StringEqualsIfExists: { "aws:SourceAccount": "123456789012" },
        "ForAnyValue:StringLike": { "aws:TagKeys": ["team*"] },
        "ForAllValues:StringEquals": { "aws:TagKeys": ["team", "env"] },
        NumericLessThan: { "s3:max-keys": 10 },
        DateGreaterThan: { "aws:CurrentTime": "2026-01-01T00:00:00Z" },
        Bool: { "aws:SecureTransport": true },
        IpAddress: { "aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"] },
        ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/app-*" },
        Null: { "aws:TokenIssueTime": "false" },
        StringEquals: { "oidc.example.com:sub": "identity:x", "aws:PrincipalTag/team": "${aws:username}" },
      },
    }),
    expected: [],
  },
  {
    name: "Null with IfExists",
    policy: allow({ Action: "s3:GetObject", Resource: "arn:aws:s3:::b", Condition: { NullIfExists: { "aws:TokenIssueTime": "true" } } }),
    expected: [["error", "aws-policy-condition-operator", "policy.Statement[0].Condition.NullIfExists", "Null cannot take IfExists"]],
  },
  {
    name: "condition key without prefix",
    policy: allow({ Action: "s3:GetObject", Resource: "arn:aws:s3:::b", Condition: { StringEquals: { SourceIp: "x" } } }),
    expected: [["error", "aws-policy-condition-key", "policy.Statement[0].Condition.StringEquals.SourceIp", "write prefix:name"]],
  },
  {
    name: "unknown condition key",
    policy: allow({ Action: "s3:GetObject", Resource: "arn:aws:s3:::b", Condition: { StringEquals: { "aws:SourceAcount": "123456789012" } } }),
    expected: [["warning", "aws-policy-condition-key-unknown", 'policy.Statement[0].Condition.StringEquals["aws:SourceAcount"]', 'did you mean "aws:SourceAccount"?']],
  },
  {
    name: "set operator on single-valued key",
    policy: allow({ Action: "s3:GetObject", Resource: "arn:aws:s3:::b", Condition: { "ForAnyValue:StringEquals": { "aws:SourceAccount": "123456789012" } } }),
    expected: [["warning", "aws-policy-condition-set-operator", 'policy.Statement[0].Condition["ForAnyValue:StringEquals"]["aws:SourceAccount"]', "holds a single value"]],
  },
  {
    name: "condition value shapes",
    policy: allow({
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::b",
      Condition: {
        NumericLessThan: { "s3:max-keys": "ten" },
        Bool: { "aws:SecureTransport": "yes" },
        IpAddress: { "aws:SourceIp": "203.0.113.0/33" },
        StringEquals: { "aws:SourceAccount": { nested: true } },
        StringLike: { "aws:SourceVpc": [] },
        DateLessThan: { "aws:CurrentTime": "tomorrow" },
        ArnEquals: { "aws:SourceArn": "my-role" },
      },
    }),
    expected: [
      ["error", "aws-policy-condition-value", 'policy.Statement[0].Condition.NumericLessThan["s3:max-keys"]', "write a number"],
      ["error", "aws-policy-condition-value", 'policy.Statement[0].Condition.Bool["aws:SecureTransport"]', "write true or false"],
      ["error", "aws-policy-condition-value", 'policy.Statement[0].Condition.IpAddress["aws:SourceIp"]', "CIDR range"],
      ["error", "aws-policy-condition-value", 'policy.Statement[0].Condition.StringEquals["aws:SourceAccount"]', "not a mapping"],
      ["error", "aws-policy-condition-value", 'policy.Statement[0].Condition.StringLike["aws:SourceVpc"]', "empty list"],
      ["error", "aws-policy-condition-value", 'policy.Statement[0].Condition.DateLessThan["aws:CurrentTime"]', "write a date"],
      ["error", "aws-policy-condition-value", 'policy.Statement[0].Condition.ArnEquals["aws:SourceArn"]', "write an ARN"],
    ],
  },
  {
    name: "administrator access",
    policy: allow({ Action: "*", Resource: "*" }),
    expected: [["warning", "aws-policy-admin", "policy.Statement[0].Action", "administrator access"]],
  },
  {
    name: "escalation actions on every resource",
    policy: allow({ Action: ["iam:PassRole", "iam:*", "iam:Create*", "iam:Put*", "sts:AssumeRole", "iam:Pass*", "s3:GetObject", "iam:GetRole"], Resource: "*" }),
    expected: [
      ["warning", "aws-policy-privilege-escalation", "policy.Statement[0].Action[0]", '"iam:PassRole" is granted on Resource "*"'],
      ["warning", "aws-policy-privilege-escalation", "policy.Statement[0].Action[1]", '"iam:*" grants iam:'],
      ["warning", "aws-policy-privilege-escalation", "policy.Statement[0].Action[2]", '"iam:Create*" grants iam:Create'],
      ["warning", "aws-policy-privilege-escalation", "policy.Statement[0].Action[3]", '"iam:Put*" grants iam:Put'],
      ["warning", "aws-policy-privilege-escalation", "policy.Statement[0].Action[4]", '"sts:AssumeRole" is granted'],
      ["warning", "aws-policy-privilege-escalation", "policy.Statement[0].Action[5]", '"iam:Pass*" grants iam:PassRole on Resource "*"'],
    ],
  },
  { name: "escalation actions on named roles", policy: allow({ Action: ["iam:PassRole", "sts:AssumeRole"], Resource: "arn:aws:iam::123456789012:role/app" }), expected: [] },
  { name: "escalation actions denied", policy: { Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: ["iam:*", "*"], Resource: "*" }] }, expected: [] },
  {
    name: "escalation with NotResource",
    policy: allow({ Action: "iam:PassRole", NotResource: "arn:aws:iam::123456789012:role/admin" }),
    expected: [["warning", "aws-policy-privilege-escalation", "policy.Statement[0].Action", "on every resource except those in NotResource"]],
  },
  {
    name: "NotAction on every resource",
    policy: allow({ NotAction: ["iam:*", "sts:*"], Resource: "*" }),
    expected: [["warning", "aws-policy-admin", "policy.Statement[0].NotAction", "grants every action of every service except the ones listed"]],
  },
  {
    name: "NotAction leaving escalation",
    policy: allow({ NotAction: "s3:*", Resource: "*" }),
    expected: [["warning", "aws-policy-admin", "policy.Statement[0].NotAction", "including iam:PassRole"]],
  },
  { name: "NotAction of every action", policy: allow({ NotAction: "*", Resource: "*" }), expected: [] },
  { name: "character outside Latin-1", policy: allow({ Sid: "Ok", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/€" }), expected: [["error", "aws-policy-charset", "policy.Statement[0].Resource", "U+20AC"]] },
];

describe("validateAwsPolicy", () => {
  it.each(cases)("$name", async ({ policy, expected }) => {
    const sink = new FindingSink();
    await validateAwsPolicy(policy, sink, ["policy"]);

    const actual = sink.findings.map((finding) => [finding.severity, finding.code, formatPath(finding.path)]);
    expect(actual).toEqual(expected.map(([severity, code, path]) => [severity, code, path]));
    sink.findings.forEach((finding, index) => expect(finding.message).toContain(expected[index]?.[3]));
  });

  it("rejects a policy over 10,240 characters", async () => {
    const resources = Array.from({ length: 400 }, (_, index) => `arn:aws:s3:::bucket-${String(index).padStart(4, "0")}/*`);
    const policy = allow({ Action: "s3:GetObject", Resource: resources });
    const sink = new FindingSink();
    await validateAwsPolicy(policy, sink, ["policy"]);

    expect(policySize(policy)).toBeGreaterThan(10_240);
    expect(sink.findings.map((finding) => finding.code)).toEqual(["aws-policy-size"]);
    expect(sink.findings[0]?.message).toContain(`is ${policySize(policy).toLocaleString("en-US")} characters without whitespace, over the IAM limit of 10,240`);
  });

  it("counts size without whitespace", () => {
    const policy = allow({ Sid: "A", Action: "s3:GetObject", Resource: "arn:aws:s3:::my bucket" });
    const compact = JSON.stringify(policy);

    expect(policySize(policy)).toBe(compact.length - 1);
  });

  it("accepts a policy at the size limit", async () => {
    const base = allow({ Action: "s3:GetObject", Resource: ["arn:aws:s3:::x"] });
    const padding = 10_240 - policySize(base);
    const policy = allow({ Action: "s3:GetObject", Resource: [`arn:aws:s3:::x${"a".repeat(padding)}`] });
    const sink = new FindingSink();
    await validateAwsPolicy(policy, sink, ["policy"]);

    expect(policySize(policy)).toBe(10_240);
    expect(sink.findings).toEqual([]);
  });
});
