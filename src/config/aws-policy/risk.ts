import type { FindingSink } from "../diagnostics.js";
import type { ActionExpansions } from "./actions.js";
import type { ActionCatalog } from "./catalog.js";
import { wildcardRegExp } from "./catalog.js";
import type { StatementSummary } from "./statement.js";
import { quote } from "../quote.js";

/**
 * Actions that let a principal raise its own privileges when granted on every resource:
 * passing any role to a service, creating principals, policies and keys, attaching
 * inline policies, and assuming any role.
 */
export const ESCALATION_ACTIONS = ["iam:PassRole", "iam:Create*", "iam:Put*", "sts:AssumeRole"] as const;

const ESCALATION_PATTERNS = ESCALATION_ACTIONS.map((action) => wildcardRegExp(action));

/** Number of expanded action names a warning lists before it gives the count of the rest. */
const LISTED_ACTIONS = 4;

/**
 * Warns about Allow statements that grant on every resource (`Resource: "*"`, or any
 * `NotResource`) either every action, or an action that can escalate privileges
 * ({@link ESCALATION_ACTIONS}), including wildcards that expand to one. Deny statements
 * never warn. Conditions do not silence a warning, because wid cannot tell whether they
 * narrow the grant enough.
 */
export async function warnRiskyGrants(statements: readonly StatementSummary[], expansions: ActionExpansions, sink: FindingSink, catalog: ActionCatalog): Promise<void> {
  for (const statement of statements) {
    const { action, resource } = statement;
    if (statement.effect !== "Allow" || action === undefined || resource === undefined) continue;
    const everyResource = resource.key === "NotResource" || resource.entries.some((entry) => entry.value === "*");
    if (!everyResource) continue;
    const where = resource.key === "NotResource" ? "on every resource except those in NotResource" : 'on Resource "*"';

    if (action.key === "NotAction") {
      // NotAction "*" excludes every action, so the statement grants nothing.
      if (action.entries.some((entry) => entry.value === "*")) continue;
      const granted = await escalationActionsNotExcluded(action.entries.map((entry) => entry.value), catalog);
      const including = granted.length > 0 ? `, including ${listActions(granted)}` : "";
      sink.warning(action.path, "aws-policy-admin", `with Allow grants every action of every service except the ones listed ${where}${including}; list the actions the workload needs in Action instead`, {
        atKey: true,
      });
      continue;
    }

    for (const entry of action.entries) {
      const expansion = expansions.get(entry);
      if (expansion === undefined) continue;
      if (expansion === "all") {
        sink.warning(entry.path, "aws-policy-admin", `"*" ${where} grants every action, which is administrator access; list the actions the workload needs and name the resources`);
        continue;
      }
      const risky = expansion.filter((name) => ESCALATION_PATTERNS.some((pattern) => pattern.test(name)));
      if (risky.length === 0) continue;
      const exact = risky.length === 1 && risky[0]?.toLowerCase() === entry.value.toLowerCase();
      const grants = exact ? " is granted" : ` grants ${listActions(risky)}`;
      sink.warning(
        entry.path,
        "aws-policy-privilege-escalation",
        `${quote(entry.value)}${grants} ${where}, which can let the workload raise its own privileges (pass or assume any role, create users, roles or keys, attach inline policies); name the specific roles or resources in Resource`,
      );
    }
  }
}

/** Returns the escalation actions that a NotAction list leaves granted. */
async function escalationActionsNotExcluded(notActions: readonly string[], catalog: ActionCatalog): Promise<string[]> {
  const excluded = notActions.map((pattern) => wildcardRegExp(pattern));
  const granted: string[] = [];
  for (const escalation of ESCALATION_ACTIONS) {
    const [service = "", action = ""] = escalation.split(":");
    for (const name of await catalog.expand(service, action)) {
      if (!excluded.some((pattern) => pattern.test(name))) granted.push(name);
    }
  }
  return granted;
}

function listActions(names: readonly string[]): string {
  const shown = names.slice(0, LISTED_ACTIONS).join(", ");
  return names.length > LISTED_ACTIONS ? `${shown} and ${names.length - LISTED_ACTIONS} more` : shown;
}
