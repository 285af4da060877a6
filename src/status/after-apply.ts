/**
 * The state of an identity's resources after an apply, from the plan's observation and
 * the apply's outcomes. The status file describes the cloud after the writes, not before.
 */

import type { IdentityPlanState, Plan } from "../plan/types.js";
import type { IdentityReference, ResourceOutcome } from "../providers/types.js";

/** The facts of an identity's resources that the status file records. */
export interface CloudFacts {
  /** Hash of the permissions in the cloud, or null when none are installed. */
  installedHash: string | null;
  createdAt: string | null;
  /** The role's names, or undefined when the identity's role is gone and the default names apply. */
  reference: IdentityReference | undefined;
}

/** Role resource types: the resource whose deletion removes everything of the identity. */
const ROLE_TYPES: ReadonlySet<string> = new Set(["role", "custom-role"]);

/** End of the resource name `role-policy/ROLE/NAME` of the AWS inline policy with the identity's permissions. */
const PERMISSIONS_POLICY_SUFFIX = "/wid-permissions";

/**
 * Splits an identity's outcomes into those of its current resources and those of stale
 * resources that it no longer uses (planned with `onlyAfter`, such as the role under
 * its previous name), whose failures do not make the identity itself failed.
 */
export function splitOutcomes(plan: Plan, outcomes: readonly ResourceOutcome[]): { current: ResourceOutcome[]; stale: ResourceOutcome[] } {
  const stale = new Set(plan.changes.filter((change) => change.onlyAfter !== undefined).map((change) => `${change.integration}\u0000${change.resource}`));
  const isStale = (outcome: ResourceOutcome): boolean => stale.has(`${outcome.integration}\u0000${outcome.resource}`);
  return { current: outcomes.filter((outcome) => !isStale(outcome)), stale: outcomes.filter(isStale) };
}

/**
 * Returns the facts of a desired identity's resources after the apply.
 * - Not observed (the integration could not be read, or an offline plan): `before`.
 * - A conflict: nothing of wid's is installed.
 * - A role created or replaced: its ARN and creation time from the outcome.
 * - A role deleted, or a replacement whose rollback failed: nothing is installed.
 * - A replacement rolled back: the restored role, with the observed permissions.
 * - Permissions written: the desired hash.
 */
export function identityFactsAfter(planned: IdentityPlanState | undefined, before: CloudFacts | undefined, outcomes: readonly ResourceOutcome[], plan: Plan, name: string, desiredHash: string): CloudFacts {
  const observed = planned?.observed;
  if (observed === undefined) return before ?? { installedHash: null, createdAt: null, reference: undefined };
  if (planned?.state === "conflict") return { installedHash: null, createdAt: null, reference: observed.reference };

  // Google Cloud does not report when a custom role was created, so a known time is kept.
  let facts: CloudFacts = { installedHash: observed.installedHash, createdAt: observed.createdAt ?? before?.createdAt ?? null, reference: observed.reference };
  const role = outcomes.find((outcome) => ROLE_TYPES.has(outcome.type) && outcome.action !== null);
  if (role !== undefined) facts = afterRoleOutcome(facts, role);

  const permissionChanges = plan.changes.filter((change) => change.identity === name && change.permissions === true);
  const wrote = permissionChanges.some((change) => outcomes.some((outcome) => outcome.resource === change.resource && outcome.action === change.action && outcome.outcome !== "failed"));
  const policyDeleted = outcomes.some((outcome) => outcome.type === "role-policy" && outcome.outcome === "deleted" && outcome.resource.endsWith(PERMISSIONS_POLICY_SUFFIX));
  if (wrote) facts = { ...facts, installedHash: desiredHash };
  else if (policyDeleted) facts = { ...facts, installedHash: null };
  return facts;
}

/**
 * Returns the facts of a removed identity after the apply: the role's and the permission
 * policy's successful deletes clear them, so a delete that failed halfway is recorded as
 * what is left.
 */
export function removedFactsAfter(before: CloudFacts, outcomes: readonly ResourceOutcome[]): CloudFacts {
  const roleGone = outcomes.some((outcome) => ROLE_TYPES.has(outcome.type) && outcome.outcome === "deleted");
  if (roleGone) return { installedHash: null, createdAt: null, reference: before.reference };
  const policyGone = outcomes.some((outcome) => outcome.type === "role-policy" && outcome.outcome === "deleted" && outcome.resource.endsWith(PERMISSIONS_POLICY_SUFFIX));
  return policyGone ? { ...before, installedHash: null } : before;
}

function afterRoleOutcome(facts: CloudFacts, outcome: ResourceOutcome): CloudFacts {
  // Only an IAM role's outcome carries the role's own ARN and creation time.
  const aws = outcome.type === "role";
  const withOutcome = (base: CloudFacts): CloudFacts => ({
    ...base,
    ...(aws && outcome.createdAt !== undefined ? { createdAt: outcome.createdAt } : {}),
    ...(aws && outcome.reference !== undefined && base.reference?.aws !== undefined ? { reference: { aws: { ...base.reference.aws, roleArn: outcome.reference } } } : {}),
  });

  if (outcome.outcome === "deleted") return { installedHash: null, createdAt: null, reference: undefined };
  if (outcome.outcome === "created" || outcome.outcome === "updated") return withOutcome(facts);
  if (outcome.outcome !== "failed" || outcome.rollback === undefined) return facts;
  if (outcome.rollback === "restored") return withOutcome(facts);
  // The old role is gone, and what the failed change left, if anything, has no permissions.
  return outcome.reference === undefined ? { installedHash: null, createdAt: null, reference: undefined } : withOutcome({ ...facts, installedHash: null });
}
