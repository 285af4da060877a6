/**
 * Cloud Resource Manager v3: `projects.get` and the project IAM policy, read and written
 * with etags. A test can inject a concurrent writer that changes the policy between a
 * client's read and its write, so that the write fails with 409 ABORTED.
 */

import { createHash } from "node:crypto";

import { GoogleApiError, invalid } from "./errors.js";
import type { FakeRequest } from "./request.js";
import { isRecord, optionalRecord, optionalString } from "./request.js";
import type { FakeState, ProjectState, StoredBinding, StoredCondition, StoredPolicy } from "./state.js";

/** Google's limit on principal occurrences in one policy. */
const MAX_PRINCIPALS = 1500;
const PRINCIPAL_PATTERN = /^principal:\/\/iam\.googleapis\.com\/projects\/([0-9]+)\/locations\/global\/workloadIdentityPools\/([a-z0-9-]+)\/subject\/.+$/;
const CUSTOM_ROLE_PATTERN = /^projects\/([^/]+)\/roles\/([^/]+)$/;

type Json = Record<string, unknown>;

/** A change made by "someone else" to a project's policy. */
export type PolicyChange = (policy: StoredPolicy) => void;

export class PolicyHandlers {
  private readonly concurrentWriters = new Map<ProjectState, PolicyChange[]>();
  /** How many injected concurrent writes happened. */
  concurrentWrites = 0;

  constructor(private readonly state: FakeState) {}

  /** Queues changes that run, one per request, just before the next setIamPolicy calls of a project. */
  injectConcurrentWrite(project: string, change: PolicyChange, times: number): void {
    const state = this.state.project(project, "resourcemanager.projects.setIamPolicy");
    const queue = this.concurrentWriters.get(state) ?? [];
    for (let i = 0; i < times; i++) queue.push(change);
    this.concurrentWriters.set(state, queue);
  }

  getProject(request: FakeRequest): Json {
    const { project } = this.state.project(request.params.project ?? "", "resourcemanager.projects.get");
    return { name: `projects/${project.projectNumber}`, projectId: project.projectId, state: "ACTIVE", displayName: project.projectId };
  }

  getIamPolicy(request: FakeRequest): Json {
    const project = this.state.project(request.params.project ?? "", "resourcemanager.projects.getIamPolicy");
    const options = optionalRecord(request.body, "options") ?? {};
    const requested = options.requestedPolicyVersion ?? 0;
    if (requested !== 0 && requested !== 1 && requested !== 3) throw invalid(`Invalid requested policy version ${JSON.stringify(requested)}; valid values are 0, 1 and 3.`);
    return policyJson(project.policy, requested === 3 ? 3 : 1);
  }

  setIamPolicy(request: FakeRequest): Json {
    const project = this.state.project(request.params.project ?? "", "resourcemanager.projects.setIamPolicy");
    this.runConcurrentWriter(project);

    const policy = optionalRecord(request.body, "policy");
    if (policy === undefined) throw invalid("policy is required.");
    const etag = optionalString(policy, "etag");
    if (etag !== undefined && etag !== project.policy.etag) {
      throw new GoogleApiError(
        "ABORTED",
        "There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.",
        "ETAG_MISMATCH",
      );
    }
    const version = policy.version ?? 1;
    const bindings = parseBindings(policy.bindings);
    if (bindings.some((binding) => binding.condition !== undefined) && version !== 3) {
      throw invalid("A policy with conditional role bindings must have version 3.");
    }

    this.checkNewGrants(project, bindings);
    const members = bindings.reduce((sum, binding) => sum + binding.members.length, 0);
    if (members > MAX_PRINCIPALS) throw invalid(`The number of members in the policy (${members}) is larger than the maximum allowed size ${MAX_PRINCIPALS}.`);

    project.policy = {
      version: bindings.some((binding) => binding.condition !== undefined) ? 3 : 1,
      etag: this.state.nextEtag(),
      bindings: mergeBindings(bindings),
    };
    return policyJson(project.policy, 3);
  }

  private runConcurrentWriter(project: ProjectState): void {
    const change = this.concurrentWriters.get(project)?.shift();
    if (change === undefined) return;
    change(project.policy);
    project.policy.etag = this.state.nextEtag();
    this.concurrentWrites += 1;
  }

  /** Checks that grants missing from the current policy name live custom roles and existing pools. */
  private checkNewGrants(project: ProjectState, bindings: readonly StoredBinding[]): void {
    const current = new Set(project.policy.bindings.flatMap((binding) => binding.members.map((member) => grantKey(binding, member))));
    for (const binding of bindings) {
      for (const member of binding.members) {
        if (current.has(grantKey(binding, member))) continue;
        this.checkRole(binding.role);
        this.checkPrincipal(member);
      }
    }
  }

  private checkRole(role: string): void {
    if (role.includes("_withcond_")) throw invalid(`Role ${role} is a version 1 placeholder for a conditional binding and cannot be set.`);
    const match = CUSTOM_ROLE_PATTERN.exec(role);
    if (match === null) {
      if (!/^roles\/[a-zA-Z0-9_.]+$/.test(role)) throw invalid(`Role ${role} is not valid.`);
      return;
    }
    const owner = this.state.projects().find((state) => state.project.projectId === match[1] || state.project.projectNumber === match[1]);
    const stored = owner?.roles.get(match[2] ?? "");
    if (stored === undefined || stored.purging) throw invalid(`Role (${role}) does not exist in the resource's hierarchy.`);
    if (stored.deleted) throw invalid(`Role (${role}) is deleted and cannot be granted.`);
  }

  private checkPrincipal(member: string): void {
    if (!member.startsWith("principal://")) return;
    const match = PRINCIPAL_PATTERN.exec(member);
    if (match === null) throw invalid(`Invalid principal ${member}.`);
    const owner = this.state.projects().find((state) => state.project.projectNumber === match[1]);
    const pool = owner?.pools.get(match[2] ?? "");
    if (pool === undefined || !pool.visible) throw invalid(`Identity Pool does not exist (${match[1]}/${match[2]}). Check the principal ${member}.`);
  }
}

function grantKey(binding: StoredBinding, member: string): string {
  return JSON.stringify([binding.role, binding.condition ?? null, member]);
}

function parseBindings(value: unknown): StoredBinding[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid("policy.bindings must be a list.");
  return value.map((item, index): StoredBinding => {
    if (!isRecord(item)) throw invalid(`policy.bindings[${index}] must be an object.`);
    const role = optionalString(item, "role");
    if (role === undefined || role === "") throw invalid(`policy.bindings[${index}].role is required.`);
    const members = item.members;
    if (!Array.isArray(members) || members.length === 0 || !members.every((member): member is string => typeof member === "string")) {
      throw invalid(`policy.bindings[${index}] must contain at least one principal.`);
    }
    const condition = optionalRecord(item, "condition");
    return condition === undefined ? { role, members: [...members] } : { role, members: [...members], condition: parseCondition(condition, index) };
  });
}

function parseCondition(condition: Record<string, unknown>, index: number): StoredCondition {
  const expression = optionalString(condition, "expression");
  if (expression === undefined || expression === "") throw invalid(`policy.bindings[${index}].condition.expression is required.`);
  const parsed: StoredCondition = { expression };
  const title = optionalString(condition, "title");
  const description = optionalString(condition, "description");
  if (title !== undefined) parsed.title = title;
  if (description !== undefined) parsed.description = description;
  return parsed;
}

/** Merges bindings with the same role and condition into one, with the principals of both. */
function mergeBindings(bindings: readonly StoredBinding[]): StoredBinding[] {
  const merged = new Map<string, StoredBinding>();
  for (const binding of bindings) {
    const key = JSON.stringify([binding.role, binding.condition ?? null]);
    const existing = merged.get(key);
    if (existing === undefined) merged.set(key, { ...binding, members: [...new Set(binding.members)] });
    else existing.members = [...new Set([...existing.members, ...binding.members])];
  }
  return [...merged.values()];
}

/**
 * Renders the policy as returned for a requested version. Asked for version 1, a conditional
 * binding comes back without its condition and with `_withcond_HASH` appended to its role,
 * as Google does, so a client that forgets version 3 cannot write it back intact.
 */
export function policyJson(policy: StoredPolicy, requestedVersion: 1 | 3): Json {
  const conditional = policy.bindings.some((binding) => binding.condition !== undefined);
  const bindings = policy.bindings.map((binding): Json => {
    if (binding.condition === undefined) return { role: binding.role, members: [...binding.members] };
    if (requestedVersion === 3) return { role: binding.role, members: [...binding.members], condition: { ...binding.condition } };
    const hash = createHash("sha256").update(JSON.stringify(binding.condition)).digest("hex").slice(0, 20);
    return { role: `${binding.role}_withcond_${hash}`, members: [...binding.members] };
  });
  const json: Json = { version: conditional && requestedVersion === 3 ? 3 : 1, etag: policy.etag };
  if (bindings.length > 0) json.bindings = bindings;
  return json;
}
