import type { FindingSink } from "../diagnostics.js";
import { closestMatch, didYouMean } from "../suggest.js";
import type { ActionCatalog } from "./catalog.js";
import type { ElementEntry, StatementSummary } from "./statement.js";
import { quote } from "../quote.js";

/**
 * The actions that an Action or NotAction entry stands for, as lowercase service prefix
 * and IAM action name (`s3:GetObject`). `"*"` is `all`. Entries that name an unknown
 * service or action are left out.
 */
export type ActionExpansions = Map<ElementEntry, readonly string[] | "all">;

/**
 * Checks every Action and NotAction entry against the IAM catalog: the service must
 * exist, a plain action must exist in it, and a wildcard must match at least one of its
 * actions. Unknown names get a "did you mean" when one is close. Returns the expansion
 * of each entry that passed, for the risk checks.
 */
export async function checkActions(statements: readonly StatementSummary[], sink: FindingSink, catalog: ActionCatalog): Promise<ActionExpansions> {
  const expansions: ActionExpansions = new Map();
  for (const statement of statements) {
    for (const entry of statement.action?.entries ?? []) {
      const expansion = await expandEntry(entry, sink, catalog);
      if (expansion !== undefined) expansions.set(entry, expansion);
    }
  }
  return expansions;
}

async function expandEntry(entry: ElementEntry, sink: FindingSink, catalog: ActionCatalog): Promise<readonly string[] | "all" | undefined> {
  if (entry.value === "*") return "all";
  const colon = entry.value.indexOf(":");
  const service = entry.value.slice(0, colon);
  const action = entry.value.slice(colon + 1);
  const written = quote(entry.value);

  if (!(await catalog.hasService(service))) {
    const suggestion = didYouMean(service, await catalog.serviceKeys());
    sink.error(entry.path, "aws-unknown-service", `${written} names the service prefix ${quote(service, { json: false })}, which IAM does not have; check the prefix in the AWS Service Authorization Reference${suggestion}`);
    return undefined;
  }

  if (/[*?]/.test(action)) {
    const matched = await catalog.expand(service, action);
    if (matched.length === 0) {
      sink.error(entry.path, "aws-action-no-match", `${written} matches no ${service.toLowerCase()} action; fix the pattern, such as ${service.toLowerCase()}:Get*`);
      return undefined;
    }
    return matched;
  }

  const name = await catalog.findAction(service, action);
  if (name === undefined) {
    const close = closestMatch(action, await catalog.actionNames(service));
    const suggestion = close === undefined ? "" : `; did you mean "${service.toLowerCase()}:${close}"?`;
    sink.error(entry.path, "aws-unknown-action", `${written} is not an action of ${service.toLowerCase()}${suggestion}`);
    return undefined;
  }
  return [`${service.toLowerCase()}:${name}`];
}
