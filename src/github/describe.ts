import type { ResourceChange, ResourceDiff } from "../plan/types.js";
import { POLICY_NAME } from "../providers/aws/resources.js";

/**
 * Returns the resource a change is about, as reviewers name it. Resource names are
 * `TYPE/NAME`, and an inline policy's name is `role-policy/ROLE/POLICY`, so the subject
 * is read from the parts after the type:
 * - `role wid-s3-access` for the role and for its `wid-permissions` policy;
 * - `inline policy NAME of role wid-s3-access` for any other inline policy (one that wid deletes);
 * - `IAM OIDC provider of integration aws-prod`, named by the integration, because the
 *   resource is named by the issuer's host, which every integration of the repository shares;
 * - `custom role wid_uploads` for a Google custom role and its binding.
 */
export function changeSubject(change: ResourceChange): string {
  const [, name = "", ...rest] = change.resource.split("/");
  switch (change.type) {
    case "oidc-provider":
      return `IAM OIDC provider of integration ${change.integration}`;
    case "role":
      return `role ${name}`;
    case "role-policy": {
      const policy = rest.join("/");
      return policy === "" || policy === POLICY_NAME ? `role ${name}` : `inline policy ${policy} of role ${name}`;
    }
    case "workload-identity-pool":
      return `workload identity pool ${name}`;
    case "workload-identity-pool-provider":
      return `workload identity pool provider ${name}`;
    case "custom-role":
    case "role-binding":
      return `custom role ${name}`;
  }
}

/**
 * Describes changes of one identity or integration in one sentence per resource, such
 * as `will update role wid-s3-access: + s3:PutObject`. Without a structured diff (an
 * offline plan has none) the change's reason stands in for it.
 */
export function describeChanges(changes: readonly ResourceChange[]): string[] {
  const groups = new Map<string, ResourceChange[]>();
  for (const change of changes) {
    const key = `${change.action} ${changeSubject(change)}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [change]);
    else group.push(change);
  }

  const sentences: string[] = [];
  for (const [key, group] of groups) {
    const details = group.flatMap((change) => diffFragments(change.diff));
    const first = group[0] as ResourceChange;
    const detail = details.length > 0 ? details.join("; ") : first.reason;
    sentences.push(`will ${key}: ${detail}`);
  }
  return sentences;
}

/**
 * Formats a structured diff as short fragments: `+ s3:PutObject, - s3:DeleteObject` per policy
 * statement, `+ storage.objects.create` for permissions, and other differences as written.
 */
export function diffFragments(diff: ResourceDiff | undefined): string[] {
  if (diff === undefined) return [];
  const fragments: string[] = [];

  const statements = diff.statements ?? [];
  for (const statement of statements) {
    const items = [
      ...statement.actionsAdded.map((action) => `+ ${action}`),
      ...statement.actionsRemoved.map((action) => `- ${action}`),
      ...statement.resourcesAdded.map((resource) => `+ ${resource}`),
      ...statement.resourcesRemoved.map((resource) => `- ${resource}`),
      ...statement.other,
    ];
    const labelled = statements.length > 1 || statement.change !== "changed";
    const name = statement.sid !== undefined ? `statement ${statement.statement} (${statement.sid})` : `statement ${statement.statement}`;
    const text = items.join(", ");
    fragments.push(labelled ? `${name} ${statement.change}${text !== "" ? `: ${text}` : ""}` : text);
  }

  const permissions = [...(diff.permissionsAdded ?? []).map((permission) => `+ ${permission}`), ...(diff.permissionsRemoved ?? []).map((permission) => `- ${permission}`)];
  if (permissions.length > 0) fragments.push(permissions.join(", "));
  fragments.push(...(diff.attributes ?? []));
  return fragments.filter((fragment) => fragment !== "");
}
