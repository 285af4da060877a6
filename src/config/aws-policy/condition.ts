import { isIP } from "node:net";

import type { FindingSink, NodePath } from "../diagnostics.js";
import { didYouMean } from "../suggest.js";
import type { ActionCatalog } from "./catalog.js";
import { describeType } from "../values.js";
import { quote } from "../quote.js";
import { isRecord } from "../../json/record.js";

/** The kind of value a condition operator compares. */
type ValueKind = "string" | "numeric" | "date" | "bool" | "null" | "binary" | "ip" | "arn";

/** The base condition operators of IAM and the value each compares. */
const OPERATORS: Readonly<Record<string, ValueKind>> = {
  StringEquals: "string",
  StringNotEquals: "string",
  StringEqualsIgnoreCase: "string",
  StringNotEqualsIgnoreCase: "string",
  StringLike: "string",
  StringNotLike: "string",
  NumericEquals: "numeric",
  NumericNotEquals: "numeric",
  NumericLessThan: "numeric",
  NumericLessThanEquals: "numeric",
  NumericGreaterThan: "numeric",
  NumericGreaterThanEquals: "numeric",
  DateEquals: "date",
  DateNotEquals: "date",
  DateLessThan: "date",
  DateLessThanEquals: "date",
  DateGreaterThan: "date",
  DateGreaterThanEquals: "date",
  Bool: "bool",
  BinaryEquals: "binary",
  IpAddress: "ip",
  NotIpAddress: "ip",
  ArnEquals: "arn",
  ArnNotEquals: "arn",
  ArnLike: "arn",
  ArnNotLike: "arn",
  Null: "null",
};

const SET_QUALIFIERS = ["ForAllValues", "ForAnyValue"];

/** Operator spellings that IAM accepts, for suggestions. */
const ALL_OPERATORS: readonly string[] = Object.keys(OPERATORS).flatMap((base) => {
  const forms = base === "Null" ? [base] : [base, `${base}IfExists`];
  return [...forms, ...SET_QUALIFIERS.flatMap((qualifier) => forms.map((form) => `${qualifier}:${form}`))];
});

/** `prefix:name`, such as `aws:SourceIp`, `s3:prefix` or `oidc.example.com:sub`. */
const CONDITION_KEY = /^[^\s:]+:\S+$/;

const VALUE_HINT: Readonly<Record<ValueKind, string>> = {
  string: "a string",
  numeric: "a number, such as 10",
  date: 'a date, such as "2026-01-01T00:00:00Z", or seconds since 1970',
  bool: "true or false",
  null: "true (the key is absent) or false (the key is present)",
  binary: "base64 text",
  ip: "an IP address or CIDR range, such as 203.0.113.0/24",
  arn: "an ARN, such as arn:aws:iam::123456789012:role/app",
};

interface ParsedOperator {
  kind: ValueKind;
  setQualifier: string | undefined;
}

/** Inputs of the condition check besides the policy. */
export interface ConditionContext {
  catalog: ActionCatalog;
  /** The text of a scalar as written in the source file, to catch numbers YAML rewrote. */
  sourceText?: (path: NodePath) => string | undefined;
}

/**
 * Checks a statement's Condition element: operator names (with the `IfExists` suffix and
 * the `ForAllValues:` and `ForAnyValue:` qualifiers), condition keys and value shapes.
 * A key that the catalog does not know is a warning, because services add keys before
 * the catalog lists them, and keys of OIDC providers (`oidc.example.com:sub`) are not listed.
 */
export async function checkCondition(condition: unknown, sink: FindingSink, path: NodePath, context: ConditionContext): Promise<void> {
  if (!isRecord(condition)) {
    sink.error(path, "aws-policy-condition", `must be a mapping of condition operators, such as StringEquals, not ${describeType(condition)}`);
    return;
  }

  for (const [name, block] of Object.entries(condition)) {
    const operatorPath = [...path, name];
    const operator = parseOperator(name);
    if (operator === undefined) {
      const nullForm = /(^|:)NullIfExists$/.test(name) ? "; Null cannot take IfExists, because it tests whether the key exists" : "";
      sink.error(operatorPath, "aws-policy-condition-operator", `${quote(name)} is not a condition operator${nullForm || didYouMean(name, ALL_OPERATORS)}`, { atKey: true });
      continue;
    }
    if (!isRecord(block)) {
      sink.error(operatorPath, "aws-policy-condition", `must be a mapping of condition keys to values, such as aws:SourceIp: 203.0.113.0/24, not ${describeType(block)}`);
      continue;
    }
    if (Object.keys(block).length === 0) {
      sink.error(operatorPath, "aws-policy-condition", "is empty; add a condition key and its value, or remove the operator");
      continue;
    }
    for (const [key, value] of Object.entries(block)) {
      await checkKey(key, operator, sink, [...operatorPath, key], context);
      checkValues(value, operator.kind, name, sink, [...operatorPath, key], context);
    }
  }
}

function parseOperator(name: string): ParsedOperator | undefined {
  const match = /^(?:(ForAllValues|ForAnyValue):)?(.+?)(IfExists)?$/.exec(name);
  if (match === null) return undefined;
  const [, setQualifier, base = "", ifExists] = match;
  const kind = OPERATORS[base];
  if (kind === undefined) return undefined;
  if (kind === "null" && ifExists !== undefined) return undefined;
  return { kind, setQualifier };
}

async function checkKey(key: string, operator: ParsedOperator, sink: FindingSink, path: NodePath, context: ConditionContext): Promise<void> {
  if (!CONDITION_KEY.test(key)) {
    sink.error(path, "aws-policy-condition-key", `${quote(key)} is not a condition key; write prefix:name, such as aws:SourceIp or s3:prefix`, { atKey: true });
    return;
  }

  const prefix = key.slice(0, key.indexOf(":"));
  const knownPrefix = prefix.toLowerCase() === "aws" || (await context.catalog.hasService(prefix));
  if (!knownPrefix) return;

  const info = await context.catalog.findConditionKey(key);
  if (info === undefined) {
    const suggestion = didYouMean(key, await context.catalog.conditionKeyNames(prefix));
    sink.warning(path, "aws-policy-condition-key-unknown", `${quote(key)} is not a known condition key${suggestion}; IAM ignores a key that the request does not carry`, {
      atKey: true,
    });
    return;
  }
  if (operator.setQualifier !== undefined && !info.type.startsWith("ArrayOf")) {
    sink.warning(
      path,
      "aws-policy-condition-set-operator",
      `${info.key} holds a single value, so ${operator.setQualifier}: does not apply to it; remove the qualifier, because it changes how a missing key is evaluated`,
      { atKey: true },
    );
  }
}

function checkValues(value: unknown, kind: ValueKind, operator: string, sink: FindingSink, path: NodePath, context: ConditionContext): void {
  if (Array.isArray(value)) {
    if (value.length === 0) {
      sink.error(path, "aws-policy-condition-value", `is an empty list; write ${VALUE_HINT[kind]}`);
      return;
    }
    value.forEach((item: unknown, index) => checkValue(item, kind, operator, sink, [...path, index], context));
    return;
  }
  checkValue(value, kind, operator, sink, path, context);
}

function checkValue(value: unknown, kind: ValueKind, operator: string, sink: FindingSink, path: NodePath, context: ConditionContext): void {
  if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
    sink.error(path, "aws-policy-condition-value", `must be ${VALUE_HINT[kind]} or a list of them, not ${describeType(value)}`);
    return;
  }

  if (typeof value === "number" && (kind === "string" || kind === "arn")) {
    // A YAML number loses what made it a string: 054238437032 reads as 54238437032.
    const source = context.sourceText?.(path);
    const written = source === undefined ? undefined : quote(source, { json: false });
    if (written !== undefined && source !== String(value)) {
      sink.error(path, "aws-policy-condition-value", `${written} is written as a number, which YAML reads as ${String(value)}; quote it: "${written}"`);
      return;
    }
  }

  if (!matchesKind(value, kind)) {
    sink.error(path, "aws-policy-condition-value", `${quote(value)} is not valid for ${operator}; write ${VALUE_HINT[kind]}`);
  }
}

function matchesKind(value: string | number | boolean, kind: ValueKind): boolean {
  // A policy variable such as ${aws:username} is resolved when IAM evaluates the policy.
  if (typeof value === "string" && value.includes("${")) return true;
  const text = String(value);
  switch (kind) {
    case "string":
      return true;
    case "numeric":
      return typeof value === "number" || /^-?[0-9]+(\.[0-9]+)?$/.test(text);
    case "date":
      return typeof value === "number" || /^[0-9]+$/.test(text) || /^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]+(Z|[+-][0-9]{2}:?[0-9]{2})?)?$/.test(text);
    case "bool":
    case "null":
      return typeof value === "boolean" || /^(true|false)$/i.test(text);
    case "binary":
      return typeof value === "string" && /^[A-Za-z0-9+/]+={0,2}$/.test(value);
    case "ip":
      return typeof value === "string" && isIpRange(value);
    case "arn":
      return typeof value === "string" && (value.startsWith("arn:") || value.includes("*"));
  }
}

function isIpRange(value: string): boolean {
  const [address = "", prefix, ...rest] = value.split("/");
  if (rest.length > 0) return false;
  const version = isIP(address);
  if (version === 0) return false;
  if (prefix === undefined) return true;
  if (!/^[0-9]{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (version === 4 ? 32 : 128);
}
