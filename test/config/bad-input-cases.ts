import { awsIdentity, SIMPLE_POLICY } from "../support/repo.js";

/** The first error a bad input must produce, positioned on the offending node. */
export interface ExpectedError {
  file: string;
  line: number;
  column: number;
  code: string;
  /** A part of the message that names the problem and the fix. */
  message: string;
}

export interface BadInputCase {
  name: string;
  /** Files added to (or replacing) the base repository: Settings and one integration per provider. */
  files: Record<string, string | Uint8Array>;
  expected: ExpectedError;
  /** Environment of the CLI run, such as a small heap for the alias bomb. */
  env?: Record<string, string>;
}

const GCP_IDENTITY = (permissions: string): string =>
  [
    "apiVersion: wid/v1",
    "kind: WorkloadIdentity",
    "metadata:",
    "  name: gcp-reader",
    "spec:",
    "  provider: gcp",
    "  integration: gcp-prod",
    "  scope:",
    "    projects: [shop]",
    "  gcp:",
    "    permissions:",
    permissions,
    "",
  ].join("\n");

/** Nine levels of ten aliases: expanding it would build a billion nodes. */
function aliasBomb(): string {
  const lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let level = 1; level <= 9; level++) {
    const previous = `*a${level - 1}`;
    lines.push(`a${level}: &a${level} [${Array.from({ length: 10 }, () => previous).join(", ")}]`);
  }
  return `apiVersion: wid/v1\nkind: Workload\nmetadata: { name: bomb, project: shop }\nspec:\n  type: service\n  bomb:\n${lines.map((line) => `    ${line}`).join("\n")}\n`;
}

const LONG_NAME = `a${"b".repeat(60)}`;

export const BAD_INPUT_CASES: BadInputCase[] = [
  {
    name: "broken YAML syntax",
    files: { "identities/broken.yaml": "apiVersion: wid/v1\nkind: WorkloadIdentity\nmetadata:\n  name: [broken\nspec: {}\n" },
    expected: { file: "identities/broken.yaml", line: 4, column: 9, code: "yaml-syntax", message: "unclosed flow sequence: this [ has no matching ]; close it with ]" },
  },
  {
    name: "duplicate key in a policy Condition",
    files: {
      "identities/dup.yaml": awsIdentity(
        "dup",
        `
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Action: s3:GetObject
          Resource: arn:aws:s3:::bucket/*
          Condition:
            StringEquals: { aws:SourceAccount: "123456789012" }
            StringEquals: { aws:SourceAccount: "210987654321" }`,
      ),
    },
    expected: { file: "identities/dup.yaml", line: 20, column: 13, code: "yaml-duplicate-key", message: "duplicate key" },
  },
  {
    name: "alias bomb",
    files: { "workloads/bomb.yaml": aliasBomb() },
    expected: { file: "workloads/bomb.yaml", line: 1, column: 1, code: "yaml-alias-limit", message: "more than 100 aliases" },
    // Expanding the bomb would need gigabytes; the check must finish within a small heap.
    env: { NODE_OPTIONS: "--max-old-space-size=96" },
  },
  {
    name: "10 MB file",
    files: { "workloads/huge.yaml": `# ${"x".repeat(10 * 1024 * 1024)}\n` },
    expected: { file: "workloads/huge.yaml", line: 1, column: 1, code: "file-too-large", message: "over the limit of 1.0 MiB" },
  },
  {
    name: "binary file named .yaml",
    files: { "workloads/image.yaml": new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]) },
    expected: { file: "workloads/image.yaml", line: 1, column: 1, code: "file-binary", message: "NUL bytes" },
  },
  {
    name: "file not UTF-8",
    files: { "workloads/latin1.yaml": new Uint8Array([...Buffer.from("apiVersion: wid/v1\n# caf"), 0xe9, 0x0a]) },
    expected: { file: "workloads/latin1.yaml", line: 1, column: 1, code: "file-not-utf8", message: "save it as UTF-8" },
  },
  {
    name: "unknown kind",
    files: { "workloads/api.yaml": "apiVersion: wid/v1\nkind: Workloads\nmetadata: { name: api, project: shop }\nspec: { type: service }\n" },
    expected: { file: "workloads/api.yaml", line: 2, column: 7, code: "document-kind", message: 'unknown kind "Workloads"; did you mean "Workload"?' },
  },
  {
    name: "unknown apiVersion",
    files: { "workloads/api.yaml": "apiVersion: wid/v2\nkind: Workload\nmetadata: { name: api, project: shop }\nspec: { type: service }\n" },
    expected: { file: "workloads/api.yaml", line: 1, column: 13, code: "document-api-version", message: 'apiVersion "wid/v2" is not supported; use apiVersion: wid/v1' },
  },
  {
    name: "account ID written as a number",
    files: { "integrations/aws-prod.yaml": "apiVersion: wid/v1\nkind: Integration\nmetadata:\n  name: aws-prod\nspec:\n  provider: aws\n  aws:\n    accountId: 054238437032\n" },
    expected: { file: "integrations/aws-prod.yaml", line: 8, column: 16, code: "schema-type", message: 'which YAML reads as 54238437032; quote it: "054238437032"' },
  },
  {
    name: "65-character role name",
    files: { [`identities/${LONG_NAME}.yaml`]: awsIdentity(LONG_NAME, SIMPLE_POLICY) },
    expected: { file: `identities/${LONG_NAME}.yaml`, line: 4, column: 9, code: "aws-role-name-length", message: "of 65 characters, over the IAM limit of 64" },
  },
  {
    name: "oversized policy",
    files: {
      "identities/big.yaml": awsIdentity(
        "big",
        `
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Action: s3:GetObject
          Resource:
${Array.from({ length: 400 }, (_, index) => `            - arn:aws:s3:::bucket-${String(index).padStart(4, "0")}/*`).join("\n")}`,
      ),
    },
    expected: { file: "identities/big.yaml", line: 13, column: 7, code: "aws-policy-size", message: "over the IAM limit of 10,240" },
  },
  {
    name: "unknown action",
    files: {
      "identities/typo.yaml": awsIdentity(
        "typo",
        `
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Action: [s3:GetObject, s3:PutObjekt]
          Resource: arn:aws:s3:::bucket/*`,
      ),
    },
    expected: { file: "identities/typo.yaml", line: 16, column: 34, code: "aws-unknown-action", message: 'did you mean "s3:PutObject"?' },
  },
  {
    name: "Effect: allow",
    files: {
      "identities/effect.yaml": awsIdentity(
        "effect",
        `
      Version: "2012-10-17"
      Statement:
        - Effect: allow
          Action: s3:GetObject
          Resource: arn:aws:s3:::bucket/*`,
      ),
    },
    expected: { file: "identities/effect.yaml", line: 15, column: 19, code: "aws-policy-effect", message: 'write exactly Allow or Deny; did you mean "Allow"?' },
  },
  {
    name: "Principal in an identity policy",
    files: {
      "identities/principal.yaml": awsIdentity(
        "principal",
        `
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal: { AWS: "*" }
          Action: s3:GetObject
          Resource: arn:aws:s3:::bucket/*`,
      ),
    },
    expected: { file: "identities/principal.yaml", line: 16, column: 11, code: "aws-policy-principal", message: "is not allowed in an identity policy" },
  },
  {
    name: "missing integration",
    files: { "identities/lost.yaml": awsIdentity("lost", SIMPLE_POLICY, { integration: "aws-prd" }) },
    expected: { file: "identities/lost.yaml", line: 4, column: 9, code: "identity-integration", message: 'names integration "aws-prd", which does not exist; did you mean "aws-prod"?' },
  },
  {
    name: "integration of the other provider",
    files: { "identities/mixed.yaml": awsIdentity("mixed", SIMPLE_POLICY, { integration: "gcp-prod" }) },
    expected: { file: "identities/mixed.yaml", line: 4, column: 9, code: "identity-integration", message: "of provider gcp, but the identity's provider is aws" },
  },
  {
    name: "duplicate identity names across files",
    files: { "identities/a.yaml": awsIdentity("same", SIMPLE_POLICY), "identities/b.yaml": awsIdentity("same", SIMPLE_POLICY) },
    expected: { file: "identities/b.yaml", line: 4, column: 9, code: "duplicate-name", message: 'WorkloadIdentity "same" is also defined at identities/a.yaml:4:9' },
  },
  {
    name: "issuer with trailing slash",
    files: { "settings.yaml": "apiVersion: wid/v1\nkind: Settings\nspec:\n  issuer: https://oidc.example.com/\n" },
    expected: { file: "settings.yaml", line: 4, column: 11, code: "schema-format", message: "no trailing slash, query or fragment" },
  },
  {
    name: "issuer with query",
    files: { "settings.yaml": "apiVersion: wid/v1\nkind: Settings\nspec:\n  issuer: https://oidc.example.com/x?y=1\n" },
    expected: { file: "settings.yaml", line: 4, column: 11, code: "schema-format", message: "no trailing slash, query or fragment" },
  },
  {
    name: "empty tags list",
    files: { "identities/empty-tags.yaml": awsIdentity("empty-tags", SIMPLE_POLICY).replace('    projects: "*"\n', '    projects: "*"\n    tags: []\n') },
    expected: { file: "identities/empty-tags.yaml", line: 11, column: 11, code: "schema-min-items", message: "at least 1 item" },
  },
  {
    name: "gcp- prefixed pool",
    files: {
      "integrations/gcp-prod.yaml":
        'apiVersion: wid/v1\nkind: Integration\nmetadata:\n  name: gcp-prod\nspec:\n  provider: gcp\n  gcp:\n    projectId: acme-prod\n    projectNumber: "481516234200"\n    poolId: gcp-pool\n',
    },
    expected: { file: "integrations/gcp-prod.yaml", line: 10, column: 13, code: "gcp-reserved-prefix", message: 'starts with "gcp-", which Google reserves' },
  },
  {
    name: "bad permission format",
    files: { "identities/gcp-reader.yaml": GCP_IDENTITY("      - storage.objects.get\n      - storage-objects-list") },
    expected: { file: "identities/gcp-reader.yaml", line: 13, column: 9, code: "gcp-permission-format", message: "write it as service.resource.verb" },
  },
  {
    name: "unknown action in a JSON policy",
    files: {
      "identities/json.yaml": awsIdentity(
        "json",
        ` |
      {
        "Version": "2012-10-17",
        "Statement": [
          { "Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjekt"], "Resource": "*" }
        ]
      }`,
      ),
    },
    expected: { file: "identities/json.yaml", line: 16, column: 59, code: "aws-unknown-action", message: 'did you mean "s3:GetObject"?' },
  },
  {
    name: "duplicate key in a JSON policy",
    files: {
      "identities/json-dup.yaml": awsIdentity(
        "json-dup",
        ` |
      {
        "Version": "2012-10-17",
        "Statement": [
          {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {
              "StringEquals": { "aws:SourceAccount": "123456789012" },
              "StringEquals": { "aws:SourceAccount": "210987654321" }
            }
          }
        ]
      }`,
      ),
    },
    expected: { file: "identities/json-dup.yaml", line: 22, column: 15, code: "aws-policy-duplicate-key", message: "appears twice" },
  },
  {
    name: "invalid JSON policy",
    files: {
      "identities/json-bad.yaml": awsIdentity(
        "json-bad",
        ` |
      {
        "Version": "2012-10-17",
        "Statement": [ { "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", } ]
      }`,
      ),
    },
    expected: { file: "identities/json-bad.yaml", line: 15, column: 88, code: "aws-policy-json", message: "not valid JSON" },
  },
  {
    name: "repository without Settings",
    files: { "settings.yaml": "# no settings here\n" },
    expected: { file: "integrations/aws-prod.yaml", line: 1, column: 1, code: "settings-missing", message: "has no Settings document" },
  },
  {
    name: "Settings that cannot be parsed",
    files: { "settings.yaml": "apiVersion: wid/v1\nkind: Settings\nspec:\n  issuer: [https://oidc.example.com\n" },
    expected: { file: "settings.yaml", line: 1, column: 1, code: "settings-missing", message: "settings.yaml cannot be read and may contain it" },
  },
];
