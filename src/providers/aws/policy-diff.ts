import type { StatementDiff } from "../../plan/types.js";
import type { CanonicalStatement, CanonicalValue } from "../../config/aws-policy/canonical.js";
import { canonicalPolicy, canonicalStatementJson, stableStringify } from "../../config/aws-policy/canonical.js";

interface IndexedStatement {
  index: number;
  statement: CanonicalStatement;
  /** Canonical text with case folded, equal for statements IAM treats as the same. */
  key: string;
}

/**
 * Compares two policy documents statement by statement and returns what differs, in
 * the order of the desired document. Statements that are the same after
 * canonicalization are left out, so a document that IAM only rewrote gives an empty
 * list. Statements are paired by equal text, then by equal `Sid`, then by the largest
 * overlap of actions and resources under the same `Effect`.
 */
export function diffPolicies(installed: unknown, desired: unknown): StatementDiff[] {
  const installedStatements = indexed(installed);
  const desiredStatements = indexed(desired);
  const unmatchedInstalled = new Set(installedStatements);
  const pairs = new Map<IndexedStatement, IndexedStatement>();

  // Equal statements are unchanged, wherever they sit in the list.
  const unmatchedDesired = desiredStatements.filter((statement) => {
    const twin = [...unmatchedInstalled].find((candidate) => candidate.key === statement.key);
    if (twin === undefined) return true;
    unmatchedInstalled.delete(twin);
    return false;
  });

  // A statement keeps its Sid when it changes, so a shared Sid pairs two statements.
  for (const statement of unmatchedDesired) {
    const sid = statement.statement.Sid;
    if (typeof sid !== "string" || sid === "") continue;
    const twin = [...unmatchedInstalled].find((candidate) => candidate.statement.Sid === sid);
    if (twin === undefined) continue;
    pairs.set(statement, twin);
    unmatchedInstalled.delete(twin);
  }

  // Otherwise the installed statement with the same Effect that shares the most entries.
  for (const statement of unmatchedDesired) {
    if (pairs.has(statement)) continue;
    let best: IndexedStatement | undefined;
    let bestScore = 0;
    for (const candidate of unmatchedInstalled) {
      if (candidate.statement.Effect !== statement.statement.Effect) continue;
      const score = overlap(candidate.statement, statement.statement);
      if (score > bestScore) {
        best = candidate;
        bestScore = score;
      }
    }
    if (best === undefined) continue;
    pairs.set(statement, best);
    unmatchedInstalled.delete(best);
  }

  const diffs: StatementDiff[] = [];
  for (const statement of unmatchedDesired) {
    const twin = pairs.get(statement);
    diffs.push(twin === undefined ? wholeStatement(statement, "added") : changedStatement(twin, statement));
  }
  for (const statement of unmatchedInstalled) diffs.push(wholeStatement(statement, "removed"));
  return diffs;
}

function indexed(document: unknown): IndexedStatement[] {
  // Keep the document's own order so that indexes point at the statements as written.
  const policy = canonicalPolicy(document, { foldCase: false, sortStatements: false });
  return policy.Statement.map((statement, index) => ({ index, statement, key: canonicalStatementJson(statement) }));
}

function changedStatement(installed: IndexedStatement, desired: IndexedStatement): StatementDiff {
  const actions = setDifference(strings(installed.statement.Action), strings(desired.statement.Action), true);
  const resources = setDifference(strings(installed.statement.Resource), strings(desired.statement.Resource), false);
  const other: string[] = [];

  for (const element of ["NotAction", "NotResource"] as const) {
    const difference = setDifference(strings(installed.statement[element]), strings(desired.statement[element]), element === "NotAction");
    other.push(...difference.added.map((value) => `${element} + ${value}`), ...difference.removed.map((value) => `${element} - ${value}`));
  }
  for (const element of ["Effect", "Sid", "Principal", "NotPrincipal", "Condition"] as const) {
    const before = installed.statement[element];
    const after = desired.statement[element];
    if (sameValue(before, after, element === "Condition")) continue;
    other.push(`${element}: ${describe(before)} -> ${describe(after)}`);
  }

  return {
    statement: desired.index,
    ...sidOf(desired.statement),
    change: "changed",
    actionsAdded: actions.added,
    actionsRemoved: actions.removed,
    resourcesAdded: resources.added,
    resourcesRemoved: resources.removed,
    other,
  };
}

function wholeStatement(statement: IndexedStatement, change: "added" | "removed"): StatementDiff {
  const actions = strings(statement.statement.Action);
  const resources = strings(statement.statement.Resource);
  const other: string[] = [];
  for (const element of ["Effect", "NotAction", "NotResource", "Principal", "NotPrincipal", "Condition"] as const) {
    const value = statement.statement[element];
    if (value !== undefined) other.push(`${element}: ${describe(value)}`);
  }
  return {
    statement: statement.index,
    ...sidOf(statement.statement),
    change,
    actionsAdded: change === "added" ? actions : [],
    actionsRemoved: change === "removed" ? actions : [],
    resourcesAdded: change === "added" ? resources : [],
    resourcesRemoved: change === "removed" ? resources : [],
    other,
  };
}

/** Entries of `after` not in `before` and the reverse, optionally ignoring case. */
function setDifference(before: readonly string[], after: readonly string[], ignoreCase: boolean): { added: string[]; removed: string[] } {
  const key = (value: string): string => (ignoreCase ? value.toLowerCase() : value);
  const beforeKeys = new Set(before.map(key));
  const afterKeys = new Set(after.map(key));
  return {
    added: after.filter((value) => !beforeKeys.has(key(value))),
    removed: before.filter((value) => !afterKeys.has(key(value))),
  };
}

function overlap(a: CanonicalStatement, b: CanonicalStatement): number {
  const actions = setDifference(strings(a.Action), strings(b.Action), true);
  const resources = setDifference(strings(a.Resource), strings(b.Resource), false);
  const sharedActions = strings(b.Action).length - actions.added.length;
  const sharedResources = strings(b.Resource).length - resources.added.length;
  return sharedActions + sharedResources;
}

function strings(value: CanonicalValue | undefined): string[] {
  if (value === undefined) return [];
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

/** Equal values; for a Condition, condition keys are compared without regard to case. */
function sameValue(a: CanonicalValue | undefined, b: CanonicalValue | undefined, isCondition: boolean): boolean {
  if (!isCondition) return stableStringify(a) === stableStringify(b);
  const folded = (value: CanonicalValue | undefined): string => (value === undefined ? "" : canonicalStatementJson({ Condition: value }));
  return folded(a) === folded(b);
}

function describe(value: CanonicalValue | undefined): string {
  if (value === undefined) return "(none)";
  if (typeof value === "string") return value;
  return stableStringify(value);
}

function sidOf(statement: CanonicalStatement): { sid?: string } {
  return typeof statement.Sid === "string" && statement.Sid !== "" ? { sid: statement.Sid } : {};
}
