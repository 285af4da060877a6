import type { FindingSink, NodePath } from "../diagnostics.js";
import { didYouMean } from "../suggest.js";
import type { ActionElement, ElementEntry, ResourceElement, StatementSummary } from "./statement.js";
import { describeType } from "../values.js";
import { quote } from "../quote.js";
import { isRecord } from "../../json/record.js";

/** The only policy language version wid accepts; `2008-10-17` lacks policy variables. */
export const POLICY_VERSION = "2012-10-17";

const POLICY_KEYS = ["Version", "Id", "Statement"];
const STATEMENT_KEYS = ["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"];
const EFFECTS = ["Allow", "Deny"];

/** IAM accepts only ASCII letters and digits in the Sid of an identity policy. */
const SID = /^[A-Za-z0-9]+$/;

/**
 * `service:action`, where the service prefix has no wildcard and the action may use
 * `*` and `?`. IAM action names contain letters, digits, `-` and `_`.
 */
const ACTION = /^([A-Za-z0-9-]+):([A-Za-z0-9_*?-]+)$/;

/**
 * Checks the structure of an identity policy document: the top-level keys, Version,
 * Statement, and in every statement Sid, Effect, exactly one of Action and NotAction,
 * exactly one of Resource and NotResource, and no Principal. Returns a summary of every
 * statement that is a mapping, for the checks that need the action catalog.
 */
export function checkPolicyGrammar(policy: Record<string, unknown>, sink: FindingSink, basePath: NodePath): StatementSummary[] {
  for (const key of Object.keys(policy)) {
    if (!POLICY_KEYS.includes(key)) {
      sink.error([...basePath, key], "aws-policy-unknown-field", `is not a policy element; a policy has only Version, Id and Statement${didYouMean(key, POLICY_KEYS)}`, { atKey: true });
    }
  }

  checkVersion(policy, sink, basePath);
  if (policy.Id !== undefined && typeof policy.Id !== "string") {
    sink.error([...basePath, "Id"], "aws-policy-grammar", `must be a string, not ${describeType(policy.Id)}`);
  }

  const statements = statementList(policy, sink, basePath);
  const summaries: StatementSummary[] = [];
  const sids = new Map<string, NodePath>();
  for (const { value, path } of statements) {
    if (!isRecord(value)) {
      sink.error(path, "aws-policy-grammar", `must be a statement mapping with Effect, Action and Resource, not ${describeType(value)}`);
      continue;
    }
    summaries.push(checkStatement(value, sink, path, sids));
  }
  return summaries;
}

function checkVersion(policy: Record<string, unknown>, sink: FindingSink, basePath: NodePath): void {
  const version = policy.Version;
  if (version === undefined) {
    sink.error(basePath, "aws-policy-version", `has no Version; add Version: "${POLICY_VERSION}", without which IAM disables policy variables`);
  } else if (version !== POLICY_VERSION) {
    const written = typeof version === "string" ? quote(version) : `${describeType(version)} ${quote(version)}`;
    sink.error([...basePath, "Version"], "aws-policy-version", `${written} is not supported; write "${POLICY_VERSION}" as a quoted string`);
  }
}

function statementList(policy: Record<string, unknown>, sink: FindingSink, basePath: NodePath): { value: unknown; path: NodePath }[] {
  const statement = policy.Statement;
  const path = [...basePath, "Statement"];
  if (statement === undefined) {
    sink.error(basePath, "aws-policy-grammar", "has no Statement; add a list of statements with Effect, Action and Resource");
    return [];
  }
  if (isRecord(statement)) return [{ value: statement, path }];
  if (!Array.isArray(statement)) {
    sink.error(path, "aws-policy-grammar", `must be a statement mapping or a list of them, not ${describeType(statement)}`);
    return [];
  }
  if (statement.length === 0) {
    sink.error(path, "aws-policy-grammar", "is an empty list; a policy needs at least one statement");
    return [];
  }
  return statement.map((value: unknown, index) => ({ value, path: [...path, index] }));
}

function checkStatement(statement: Record<string, unknown>, sink: FindingSink, path: NodePath, sids: Map<string, NodePath>): StatementSummary {
  for (const key of Object.keys(statement)) {
    if (key === "Principal" || key === "NotPrincipal") {
      sink.error(
        [...path, key],
        "aws-policy-principal",
        "is not allowed in an identity policy: the policy applies to the role that holds it. Remove it; wid writes the role's trust policy, which names who may assume the role",
        { atKey: true },
      );
    } else if (!STATEMENT_KEYS.includes(key)) {
      sink.error([...path, key], "aws-policy-unknown-field", `is not a statement element; use ${STATEMENT_KEYS.join(", ")}${didYouMean(key, STATEMENT_KEYS)}`, { atKey: true });
    }
  }

  checkSid(statement, sink, path, sids);
  return {
    path,
    effect: checkEffect(statement, sink, path),
    action: checkActionElement(statement, sink, path),
    resource: checkResourceElement(statement, sink, path),
    condition: statement.Condition,
  };
}

function checkSid(statement: Record<string, unknown>, sink: FindingSink, path: NodePath, sids: Map<string, NodePath>): void {
  const sid = statement.Sid;
  if (sid === undefined) return;
  const sidPath = [...path, "Sid"];
  if (typeof sid !== "string") {
    sink.error(sidPath, "aws-policy-sid", `must be a string, not ${describeType(sid)}`);
  } else if (!SID.test(sid)) {
    sink.error(sidPath, "aws-policy-sid", `${quote(sid)} is invalid: IAM allows only ASCII letters and digits in a Sid, such as ReadAssets`);
  } else if (sids.has(sid)) {
    sink.error(sidPath, "aws-policy-sid", `${quote(sid)} is already used by another statement; every Sid in a policy must be unique`);
  } else {
    sids.set(sid, sidPath);
  }
}

function checkEffect(statement: Record<string, unknown>, sink: FindingSink, path: NodePath): "Allow" | "Deny" | undefined {
  const effect = statement.Effect;
  if (effect === undefined) {
    sink.error(path, "aws-policy-effect", "has no Effect; add Effect: Allow or Effect: Deny");
    return undefined;
  }
  if (effect === "Allow" || effect === "Deny") return effect;
  const written = typeof effect === "string" ? quote(effect) : describeType(effect);
  sink.error([...path, "Effect"], "aws-policy-effect", `${written} is not an effect; write exactly Allow or Deny${typeof effect === "string" ? didYouMean(effect, EFFECTS) : ""}`);
  return undefined;
}

function checkActionElement(statement: Record<string, unknown>, sink: FindingSink, path: NodePath): ActionElement | undefined {
  const key = pickOne(statement, sink, path, "Action", "NotAction");
  if (key === undefined) return undefined;
  const entries = stringEntries(statement[key], sink, [...path, key], "an action such as s3:GetObject");
  if (entries === undefined) return undefined;

  const valid: ElementEntry[] = [];
  for (const entry of entries) {
    if (entry.value === "*" || ACTION.test(entry.value)) {
      valid.push(entry);
    } else if (/^[^:]*[*?][^:]*:/.test(entry.value)) {
      sink.error(entry.path, "aws-policy-action-format", `${quote(entry.value)} has a wildcard in the service prefix; name the service, such as s3:Get*, or write "*" for every action`);
    } else {
      sink.error(entry.path, "aws-policy-action-format", `${quote(entry.value)} is not an action; write service:Action, such as s3:GetObject, or "*" for every action`);
    }
  }
  return { key, path: [...path, key], entries: valid };
}

function checkResourceElement(statement: Record<string, unknown>, sink: FindingSink, path: NodePath): ResourceElement | undefined {
  const key = pickOne(statement, sink, path, "Resource", "NotResource");
  if (key === undefined) return undefined;
  const entries = stringEntries(statement[key], sink, [...path, key], 'an ARN such as arn:aws:s3:::my-bucket/*, or "*"');
  if (entries === undefined) return undefined;

  const valid: ElementEntry[] = [];
  for (const entry of entries) {
    if (isResource(entry.value)) {
      valid.push(entry);
    } else {
      sink.error(
        entry.path,
        "aws-policy-resource",
        `${quote(entry.value)} is not an ARN; write arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, such as arn:aws:s3:::my-bucket/*, or "*" for every resource`,
      );
    }
  }
  return { key, path: [...path, key], entries: valid };
}

/**
 * Reports a statement that has both or neither of two exclusive elements, and returns
 * the one it has.
 */
function pickOne<K extends string>(statement: Record<string, unknown>, sink: FindingSink, path: NodePath, key: K, notKey: K): K | undefined {
  const hasKey = statement[key] !== undefined;
  const hasNotKey = statement[notKey] !== undefined;
  if (hasKey && hasNotKey) {
    sink.error([...path, notKey], "aws-policy-grammar", `cannot be used together with ${key} in one statement; keep one of them`, { atKey: true });
    return undefined;
  }
  if (!hasKey && !hasNotKey) {
    sink.error(path, "aws-policy-grammar", `has neither ${key} nor ${notKey}; add one of them`);
    return undefined;
  }
  return hasKey ? key : notKey;
}

/** Reads a string or a non-empty list of strings, reporting the items that are not strings. */
function stringEntries(value: unknown, sink: FindingSink, path: NodePath, example: string): ElementEntry[] | undefined {
  if (typeof value === "string") return [{ value, path }];
  if (!Array.isArray(value)) {
    sink.error(path, "aws-policy-grammar", `must be a string or a list of strings, not ${describeType(value)}; write ${example}`);
    return undefined;
  }
  if (value.length === 0) {
    sink.error(path, "aws-policy-grammar", `is an empty list; write ${example}`);
    return undefined;
  }
  const entries: ElementEntry[] = [];
  value.forEach((item: unknown, index) => {
    if (typeof item === "string") entries.push({ value: item, path: [...path, index] });
    else sink.error([...path, index], "aws-policy-grammar", `must be a string, not ${describeType(item)}; write ${example}`);
  });
  return entries;
}

/**
 * `*`, or an ARN with non-empty partition, service and resource parts:
 * `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, where region and account may be
 * empty and any part may use wildcards or policy variables.
 */
export function isResource(value: string): boolean {
  if (value === "*") return true;
  const parts = value.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return false;
  return parts[1] !== "" && parts[2] !== "" && parts.slice(5).join(":") !== "";
}
