import type { ResourceChange, ResourceDiff, ResourceType } from "../plan/types.js";

/** How reviewers name each kind of resource, followed by its name. */
const SUBJECT: Record<ResourceType, string> = {
  "oidc-provider": "IAM OIDC provider of integration",
  role: "role",
  "role-policy": "role",
  "workload-identity-pool": "workload identity pool",
  "workload-identity-pool-provider": "workload identity pool provider",
  "custom-role": "custom role",
  "role-binding": "custom role",
};

/**
 * The resource a change is about, as reviewers name it: `role wid-s3-access` for both
 * the role and its inline policy, `custom role wid_uploads` for the role and its binding.
 */
export function changeSubject(change: ResourceChange): string {
  const name = change.resource.slice(change.resource.indexOf("/") + 1);
  return `${SUBJECT[change.type]} ${name}`;
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
