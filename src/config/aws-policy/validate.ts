import type { FindingSink, NodePath } from "../diagnostics.js";
import { checkActions } from "./actions.js";
import type { ActionCatalog } from "./catalog.js";
import { actionCatalog } from "./catalog.js";
import { checkCondition } from "./condition.js";
import { checkPolicyGrammar } from "./grammar.js";
import { warnRiskyGrants } from "./risk.js";
import { checkPolicyCharacters, checkPolicySize } from "./size.js";
import { findTooDeep, MAX_NESTING_DEPTH, NESTING_DEPTH_MESSAGE } from "../depth.js";
import { isRecord } from "../../json/record.js";

/** Optional inputs of {@link validateAwsPolicy}. */
export interface PolicyValidationOptions {
  /** The IAM catalog to check actions against. Default: the process-wide {@link actionCatalog}. */
  catalog?: ActionCatalog;
  /**
   * Returns the source text of the scalar at a path (under `basePath`), so that a
   * condition value YAML read as a number can be reported as written. Optional; the
   * JSON string form of a policy has no such rewriting.
   */
  sourceText?: (path: NodePath) => string | undefined;
}

/**
 * Checks an IAM identity policy document: grammar, characters, size, every action
 * against the IAM catalog, conditions, and grants that warrant a warning. Every finding
 * is reported at the path of the offending node under `basePath`, such as
 * `[...basePath, "Statement", 1, "Action", 2]`.
 */
export async function validateAwsPolicy(policy: unknown, sink: FindingSink, basePath: NodePath, options: PolicyValidationOptions = {}): Promise<void> {
  if (!isRecord(policy)) {
    sink.error(basePath, "aws-policy-grammar", "must be a policy document mapping with Version and Statement");
    return;
  }
  // The walks below recurse, so a policy given by another caller is checked here too.
  if (findTooDeep(policy, MAX_NESTING_DEPTH - basePath.length) !== undefined) {
    sink.error(basePath, "nesting-depth", NESTING_DEPTH_MESSAGE);
    return;
  }
  const catalog = options.catalog ?? actionCatalog();

  // Structure and limits need no catalog.
  const statements = checkPolicyGrammar(policy, sink, basePath);
  checkPolicyCharacters(policy, sink, basePath);
  checkPolicySize(policy, sink, basePath);

  // Names: actions and condition keys against the catalog.
  const expansions = await checkActions(statements, sink, catalog);
  for (const statement of statements) {
    if (statement.condition === undefined) continue;
    await checkCondition(statement.condition, sink, [...statement.path, "Condition"], { catalog, ...(options.sourceText !== undefined ? { sourceText: options.sourceText } : {}) });
  }

  // Risk: warnings only, never errors.
  await warnRiskyGrants(statements, expansions, sink, catalog);
}
