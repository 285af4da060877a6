/**
 * The canonical form of IAM policy documents. IAM returns documents rewritten: a
 * one-element list becomes a string, statements, actions, resources and condition
 * values come back reordered, keys reordered, and the whole text URL-encoded. Two
 * documents that IAM treats as the same have the same canonical form, so wid compares
 * canonical forms and never reports such a rewrite as a change.
 */

import { compareCodeUnits } from "../../text/order.js";
import { isRecord } from "../../json/record.js";

/** The Version that IAM assumes when a document has none. */
export const DEFAULT_POLICY_VERSION = "2008-10-17";

/** Statement elements whose values are lists of strings that IAM treats as sets. */
const STRING_SET_ELEMENTS = new Set(["Action", "NotAction", "Resource", "NotResource"]);

/** Statement elements that name actions, which IAM matches without regard to case. */
const ACTION_ELEMENTS = new Set(["Action", "NotAction"]);

/** Elements that map a principal type to a list of principals. */
const PRINCIPAL_ELEMENTS = new Set(["Principal", "NotPrincipal"]);

export type CanonicalValue = string | CanonicalValue[] | { [key: string]: CanonicalValue };

/** One statement in canonical form: set-valued elements are sorted lists without duplicates. */
export type CanonicalStatement = Record<string, CanonicalValue>;

export interface CanonicalPolicy {
  Version: string;
  Statement: CanonicalStatement[];
  /** Other top-level elements, such as `Id`, canonicalized as plain JSON. */
  [element: string]: CanonicalValue;
}

export interface CanonicalOptions {
  /**
   * Lowercase action names and condition keys, which IAM matches without regard to
   * case. Default true. The structured diff turns it off to show the file's spelling.
   */
  foldCase?: boolean;
  /** Sort the statements and drop duplicates. Default true. */
  sortStatements?: boolean;
}

/**
 * Builds the canonical form of a policy document. Accepts any JSON value, because
 * documents read from the cloud are untrusted: an element of an unexpected type is kept
 * in a canonical JSON form instead of being dropped, so it still shows as a difference.
 */
export function canonicalPolicy(document: unknown, options: CanonicalOptions = {}): CanonicalPolicy {
  const foldCase = options.foldCase ?? true;
  const record = isRecord(document) ? document : { Statement: document === undefined ? [] : document };

  const policy: CanonicalPolicy = { Version: DEFAULT_POLICY_VERSION, Statement: [] };
  for (const [element, value] of Object.entries(record)) {
    if (element === "Statement") continue;
    policy[element] = element === "Version" ? scalarText(value) : canonicalJson(value);
  }

  const statements = asList(record.Statement).map((statement) => canonicalStatement(statement, foldCase));
  policy.Statement = options.sortStatements === false ? statements : sortedUnique(statements);
  return policy;
}

/** Returns the canonical JSON text of a policy document, equal for documents IAM treats as the same. */
export function canonicalPolicyJson(document: unknown): string {
  return stableStringify(canonicalPolicy(document));
}

/** Returns the canonical JSON text of one statement, for matching statements of two documents. */
export function canonicalStatementJson(statement: CanonicalStatement): string {
  return stableStringify(foldStatement(statement));
}

/**
 * Serializes a value with the keys of every object in byte order, so equal values give
 * equal text whatever order their keys were written in.
 */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).sort(compareCodeUnits);
    return `{${keys.map((key) => `${JSON.stringify(key)}:${stableStringify(value[key])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

function canonicalStatement(statement: unknown, foldCase: boolean): CanonicalStatement {
  if (!isRecord(statement)) return { Unparsed: canonicalJson(statement) };

  const canonical: CanonicalStatement = {};
  for (const [element, value] of Object.entries(statement)) {
    if (STRING_SET_ELEMENTS.has(element)) {
      const fold = foldCase && ACTION_ELEMENTS.has(element);
      canonical[element] = stringSet(value, fold);
    } else if (PRINCIPAL_ELEMENTS.has(element)) {
      canonical[element] = principal(value);
    } else if (element === "Condition") {
      canonical[element] = condition(value, foldCase);
    } else if (typeof value === "string") {
      canonical[element] = value;
    } else {
      canonical[element] = canonicalJson(value);
    }
  }
  return canonical;
}

/** `"*"` stays a string; a mapping of principal type to principals gets sorted sets. */
function principal(value: unknown): CanonicalValue {
  if (typeof value === "string") return value;
  if (!isRecord(value)) return canonicalJson(value);
  const canonical: Record<string, CanonicalValue> = {};
  for (const [type, principals] of Object.entries(value)) canonical[type] = stringSet(principals, false);
  return canonical;
}

/**
 * `{ Operator: { key: value | [values] } }`. Condition keys are matched without regard
 * to case, and values are sets; IAM reads numbers and booleans as their text.
 */
function condition(value: unknown, foldCase: boolean): CanonicalValue {
  if (!isRecord(value)) return canonicalJson(value);
  const canonical: Record<string, CanonicalValue> = {};
  for (const [operator, keys] of Object.entries(value)) {
    if (!isRecord(keys)) {
      canonical[operator] = canonicalJson(keys);
      continue;
    }
    const entries: Record<string, CanonicalValue> = {};
    for (const [key, values] of Object.entries(keys)) entries[foldCase ? key.toLowerCase() : key] = stringSet(values, false);
    canonical[operator] = entries;
  }
  return canonical;
}

/** A string or a list of scalars, as a sorted list without duplicates. */
function stringSet(value: unknown, fold: boolean): CanonicalValue {
  const items = asList(value);
  if (!items.every(isScalar)) return canonicalJson(value);
  const texts = items.map((item) => (fold ? scalarText(item).toLowerCase() : scalarText(item)));
  return [...new Set(texts)].sort(compareCodeUnits);
}

/** Any JSON value with object keys sorted and scalars as text, for elements wid does not interpret. */
function canonicalJson(value: unknown): CanonicalValue {
  if (Array.isArray(value)) return value.map(canonicalJson);
  if (isRecord(value)) {
    const canonical: Record<string, CanonicalValue> = {};
    for (const key of Object.keys(value).sort(compareCodeUnits)) canonical[key] = canonicalJson(value[key]);
    return canonical;
  }
  return scalarText(value);
}

function foldStatement(statement: CanonicalStatement): CanonicalStatement {
  const folded: CanonicalStatement = {};
  for (const [element, value] of Object.entries(statement)) {
    if (ACTION_ELEMENTS.has(element) && Array.isArray(value)) {
      folded[element] = [...new Set(value.map((item) => (typeof item === "string" ? item.toLowerCase() : item)))].sort(compareCanonical);
    } else if (element === "Condition" && isRecord(value)) {
      const operators: Record<string, CanonicalValue> = {};
      for (const [operator, keys] of Object.entries(value)) {
        if (!isRecord(keys)) {
          operators[operator] = keys;
          continue;
        }
        const entries: Record<string, CanonicalValue> = {};
        for (const [key, values] of Object.entries(keys)) entries[key.toLowerCase()] = values;
        operators[operator] = entries;
      }
      folded[element] = operators;
    } else {
      folded[element] = value;
    }
  }
  return folded;
}

function sortedUnique(statements: CanonicalStatement[]): CanonicalStatement[] {
  const byText = new Map<string, CanonicalStatement>();
  for (const statement of statements) byText.set(stableStringify(statement), statement);
  return [...byText.keys()].sort(compareCodeUnits).map((text) => byText.get(text) as CanonicalStatement);
}

function asList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function scalarText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === null || value === undefined) return "";
  return stableStringify(value);
}

function isScalar(value: unknown): boolean {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}

function compareCanonical(a: CanonicalValue, b: CanonicalValue): number {
  return compareCodeUnits(stableStringify(a), stableStringify(b));
}
