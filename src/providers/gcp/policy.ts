/**
 * Changes to the project IAM policy: one read-modify-write with the policy's etag for all
 * binding changes of an integration, retried from the read when another writer changed
 * the policy in between (409 ABORTED). Only bindings of wid's own roles change: wid's
 * principal is added or removed, and a `set` edit makes a role's bindings exactly its
 * principal. Every other binding, member, condition and audit config is written back
 * exactly as read.
 */

import type { cloudresourcemanager_v3 } from "@googleapis/cloudresourcemanager";

import type { GcpIntegration } from "../../config/model.js";
import type { GcpClients } from "./clients.js";
import { hasStatus, GcpCallError, toGcpCallError } from "./errors.js";
import { readPolicy } from "./read.js";

type Policy = cloudresourcemanager_v3.Schema$Policy;
type Binding = cloudresourcemanager_v3.Schema$Binding;

/**
 * Grant or revoke one role for one principal, or (`set`) make the role granted to that
 * principal alone: one unconditional binding with only `member`, and no conditional
 * binding of the role.
 */
export interface BindingEdit {
  action: "add" | "remove" | "set";
  /** `projects/PROJECT_ID/roles/ROLE_ID`. */
  role: string;
  member: string;
}

/** How often and how patiently to retry after a concurrent policy change. */
export interface PolicyRetry {
  /** Read-modify-write attempts in all. Default 5. */
  maxAttempts: number;
  /** Delay before the second attempt; doubled for each next one, with jitter. Default 200. */
  baseDelayMs: number;
}

export const DEFAULT_POLICY_RETRY: PolicyRetry = { maxAttempts: 5, baseDelayMs: 200 };

export interface PolicyUpdateResult {
  /** For each edit, in order: whether the policy did not already contain its result. */
  effective: boolean[];
  /** Read-modify-write attempts made. */
  attempts: number;
  /** Whether setIamPolicy was called. */
  written: boolean;
}

/**
 * Applies `edits` and returns the new binding list with which edits changed something.
 * `add` and `remove` touch only the unconditional binding of the role; only `set`
 * removes conditional bindings, and only those of its own role. A binding left without
 * members is dropped, as Google requires members.
 */
export function editBindings(bindings: readonly Binding[], edits: readonly BindingEdit[]): { bindings: Binding[]; effective: boolean[] } {
  let result: Binding[] = bindings.map((binding) => structuredClone(binding));
  const effective = edits.map((edit) => {
    if (edit.action === "set") {
      const ofRole = result.filter((binding) => binding.role === edit.role);
      const only = ofRole.length === 1 ? ofRole[0] : undefined;
      if (only !== undefined && only.condition == null && JSON.stringify(only.members ?? []) === JSON.stringify([edit.member])) return false;
      // The role's single binding takes the place of its first one, so the policy's order is kept.
      const at = result.findIndex((binding) => binding.role === edit.role);
      result = result.filter((binding) => binding.role !== edit.role);
      result.splice(at < 0 ? result.length : at, 0, { role: edit.role, members: [edit.member] });
      return true;
    }
    const binding = result.find((candidate) => candidate.role === edit.role && candidate.condition == null);
    const members = binding?.members ?? [];
    if (edit.action === "add") {
      if (members.includes(edit.member)) return false;
      if (binding === undefined) result.push({ role: edit.role, members: [edit.member] });
      else binding.members = [...members, edit.member];
      return true;
    }
    if (binding === undefined || !members.includes(edit.member)) return false;
    binding.members = members.filter((member) => member !== edit.member);
    return true;
  });
  return { bindings: result.filter((binding) => (binding.members ?? []).length > 0), effective };
}

/**
 * Reads the project policy at version 3, applies `edits`, and writes it back with the
 * etag it read. A 409 ABORTED means another writer changed the policy after the read:
 * the whole cycle starts again from a fresh read, up to `retry.maxAttempts` times. No
 * write happens when the policy already matches. `onConflict` is called after each
 * ABORTED response, with the attempt's number.
 */
export async function updateProjectPolicy(
  clients: GcpClients,
  integration: GcpIntegration,
  edits: readonly BindingEdit[],
  retry: PolicyRetry = DEFAULT_POLICY_RETRY,
  onConflict: (attempt: number) => void = () => undefined,
): Promise<PolicyUpdateResult> {
  const resource = `projects/${integration.gcp.projectId}`;
  const context = { integration: integration.name, call: "cloudresourcemanager.projects.setIamPolicy", resource };

  for (let attempt = 1; attempt <= retry.maxAttempts; attempt++) {
    const current = await readPolicy(clients, integration);
    const { bindings, effective } = editBindings(current.bindings ?? [], edits);
    if (!effective.some(Boolean)) return { effective, attempts: attempt, written: false };

    const policy: Policy = { ...current, version: 3, bindings };
    try {
      await clients.crm.projects.setIamPolicy({ resource, requestBody: { policy, updateMask: "bindings,etag" } });
      return { effective, attempts: attempt, written: true };
    } catch (error) {
      if (!hasStatus(error, "ABORTED")) throw toGcpCallError(error, context);
      onConflict(attempt);
    }
    if (attempt < retry.maxAttempts) await sleep(jittered(retry.baseDelayMs * 2 ** (attempt - 1)));
  }

  throw new GcpCallError(
    {
      kind: "conflict",
      httpStatus: 409,
      status: "ABORTED",
      message: `the project IAM policy was changed by another writer during each of ${retry.maxAttempts} read-modify-write attempts`,
    },
    context,
  );
}

/** `ms` scaled by a random factor from 0.5 to 1.5, so that competing writers spread out. */
function jittered(ms: number): number {
  return Math.round(ms * (0.5 + Math.random()));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
