import type { FindingSink, NodePath } from "../diagnostics.js";

/**
 * Maximum size of the inline policies of one IAM role, in characters without
 * whitespace. wid gives each role exactly one inline policy, so it is the limit of
 * `spec.aws.policy`.
 */
export const MAX_POLICY_CHARACTERS = 10_240;

/** Characters IAM accepts in a policy document: tab, line feed, carriage return and U+0020 to U+00FF. */
const ALLOWED_CHARACTER = /^[\t\n\r\u0020-\u00FF]*$/;

/**
 * Returns the size of a policy as IAM counts it against its limits: the characters of
 * its compact JSON text, not counting whitespace.
 */
export function policySize(policy: unknown): number {
  // Counted in UTF-16 code units, which equals characters for the Latin-1 text IAM accepts.
  return JSON.stringify(policy).replace(/\s+/g, "").length;
}

/** Reports a policy over {@link MAX_POLICY_CHARACTERS} characters without whitespace. */
export function checkPolicySize(policy: unknown, sink: FindingSink, basePath: NodePath): void {
  const size = policySize(policy);
  if (size > MAX_POLICY_CHARACTERS) {
    sink.error(
      basePath,
      "aws-policy-size",
      `is ${size.toLocaleString("en-US")} characters without whitespace, over the IAM limit of ${MAX_POLICY_CHARACTERS.toLocaleString("en-US")} for a role's inline policy; merge statements, use action wildcards such as s3:Get*, or split the permissions across identities`,
    );
  }
}

/** Reports every key and string value that contains a character IAM does not accept. */
export function checkPolicyCharacters(value: unknown, sink: FindingSink, path: NodePath): void {
  if (typeof value === "string") {
    reportCharacter(value, sink, path, false);
  } else if (Array.isArray(value)) {
    value.forEach((item: unknown, index) => checkPolicyCharacters(item, sink, [...path, index]));
  } else if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      reportCharacter(key, sink, [...path, key], true);
      checkPolicyCharacters(item, sink, [...path, key]);
    }
  }
}

function reportCharacter(text: string, sink: FindingSink, path: NodePath, atKey: boolean): void {
  if (ALLOWED_CHARACTER.test(text)) return;
  const bad = [...text].find((char) => !ALLOWED_CHARACTER.test(char)) ?? "";
  const codePoint = `U+${(bad.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
  sink.error(path, "aws-policy-charset", `contains ${JSON.stringify(bad)} (${codePoint}), which IAM does not accept in a policy; use only Latin-1 characters`, { atKey });
}
