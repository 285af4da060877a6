import PQueue from "p-queue";

import type { ResourceChange } from "../../plan/types.js";
import type { ApplyRequest, ChangeDetails, CloudErrorKind, ResourceOutcome } from "../types.js";
import { base, DONE, failed } from "../outcome.js";
import { CloudError, NOT_STARTED_MESSAGE } from "../types.js";
import type { GcpClients } from "./clients.js";
import { GcpCallError, toGcpCallError } from "./errors.js";
import { checkProjectNumber } from "./observe.js";
import type { OperationWait } from "./operations.js";
import type { BindingEdit, PolicyRetry } from "./policy.js";
import { updateProjectPolicy } from "./policy.js";
import { readProjectNumber } from "./read.js";
import type { GcpChangeDetails } from "./types.js";
import type { GcpWriteContext } from "./write.js";
import { writeChange } from "./write.js";

/** Settings of apply that come from the adapter rather than from the run. */
export interface GcpApplySettings {
  operationWait: OperationWait;
  policyRetry: PolicyRetry;
}

/**
 * Applies an integration's planned changes, in dependency order:
 * 1. the project number is checked again, before any write;
 * 2. the pool, then its provider, one after the other, each waited for to completion;
 * 3. custom roles (create, undelete, patch), concurrently up to `options.parallelism`;
 * 4. every binding change at once, in one read-modify-write of the project policy;
 * 5. role deletes, concurrently, once their bindings are gone.
 * A failed pool or provider fails every other change of the integration without trying
 * it; a failed role fails its binding. Once `options.signal` aborts, no further write
 * starts, but an operation already started is waited for. Every change gets an
 * outcome; nothing is thrown.
 */
export async function applyGcp(clients: GcpClients, settings: GcpApplySettings, request: ApplyRequest<"gcp">): Promise<ResourceOutcome[]> {
  const { integration, changes } = request;
  const logger = request.logger.child({ integration: integration.name });
  if (changes.length === 0) return [];
  const context: GcpWriteContext = { clients, integration, operationWait: settings.operationWait, logger };
  const signal = request.options.signal;

  // Guard: the project ID must still name the project of the file's number.
  const guard = await checkProject(context);
  if (guard !== undefined) return changes.map((change) => failed(change, guard.message, guard.kind));

  const outcomes: ResourceOutcome[] = [];
  const byKind = (kinds: readonly GcpChangeDetails["kind"][]): ResourceChange[] =>
    changes.filter((change) => change.details !== undefined && isGcpDetails(change.details) && kinds.includes(change.details.kind));
  const integrationWide = changes.filter((change) => change.identity === null);
  const roleWrites = byKind(["gcp-create-role", "gcp-undelete-role", "gcp-update-role"]);
  const bindings = byKind(["gcp-add-binding", "gcp-set-binding", "gcp-remove-binding"]);
  const roleDeletes = byKind(["gcp-delete-role"]);
  const unknown = changes.filter((change) => !integrationWide.includes(change) && ![...roleWrites, ...bindings, ...roleDeletes].includes(change));
  outcomes.push(...unknown.map((change) => failed(change, `${change.resource} has no Google Cloud details; an offline plan cannot be applied`)));

  // The pool, then the provider: principals and token exchange need both.
  for (const [index, change] of integrationWide.entries()) {
    const outcome = await runChange(change, context, signal);
    outcomes.push(outcome);
    if (outcome.outcome !== "failed") continue;
    const why = outcome.message === NOT_STARTED_MESSAGE ? NOT_STARTED_MESSAGE : `not attempted because ${change.resource} failed`;
    const rest = [...integrationWide.slice(index + 1), ...roleWrites, ...bindings, ...roleDeletes];
    return [...outcomes, ...rest.map((change) => failed(change, why))];
  }

  // Custom roles, concurrently: a binding needs its role to exist.
  const queue = new PQueue({ concurrency: Math.max(1, request.options.parallelism) });
  const roleOutcomes = await Promise.all(roleWrites.map((change) => queue.add(() => runChange(change, context, signal))));
  outcomes.push(...roleOutcomes);
  // A role that could not be created or undeleted may not exist, and the policy update
  // would be rejected for all; a role whose patch failed still exists.
  const failedRoles = new Set(roleOutcomes.filter((outcome) => outcome.outcome === "failed" && outcome.action === "create").map((outcome) => outcome.identity));

  // Bindings: one policy update for the whole integration.
  const [blocked, runnable] = partition(bindings, (change) => change.action !== "delete" && failedRoles.has(change.identity));
  outcomes.push(...blocked.map((change) => failed(change, `not attempted because the custom role of identity ${change.identity ?? ""} failed`)));
  const bindingOutcomes = signal?.aborted === true ? runnable.map((change) => failed(change, NOT_STARTED_MESSAGE)) : await applyBindings(runnable, context, settings.policyRetry);
  outcomes.push(...bindingOutcomes);
  const unbound = new Set(bindingOutcomes.filter((outcome) => outcome.outcome === "failed" && outcome.action === "delete").map((outcome) => outcome.identity));

  // Role deletes, once their principal's binding is gone.
  const [kept, deletable] = partition(roleDeletes, (change) => unbound.has(change.identity));
  outcomes.push(...kept.map((change) => failed(change, `not attempted because the binding of identity ${change.identity ?? ""} could not be removed`)));
  outcomes.push(...(await Promise.all(deletable.map((change) => queue.add(() => runChange(change, context, signal))))));
  return outcomes;
}

async function checkProject(context: GcpWriteContext): Promise<{ message: string; kind: CloudErrorKind } | undefined> {
  try {
    checkProjectNumber(context.integration, await readProjectNumber(context.clients, context.integration));
    return undefined;
  } catch (error) {
    const failure = error instanceof CloudError ? { message: error.message, kind: error.kind } : { message: String(error), kind: "other" as const };
    context.logger.error({ err: error }, "project check failed; nothing applied");
    return failure;
  }
}

/** Writes all binding changes in one policy update; each change is created, deleted, or unchanged when the policy already had it. */
async function applyBindings(changes: readonly ResourceChange[], context: GcpWriteContext, retry: PolicyRetry): Promise<ResourceOutcome[]> {
  const edits: BindingEdit[] = [];
  for (const change of changes) {
    const details = change.details;
    if (details?.kind === "gcp-add-binding") edits.push({ action: "add", role: details.role, member: details.member });
    if (details?.kind === "gcp-set-binding") edits.push({ action: "set", role: details.role, member: details.member });
    if (details?.kind === "gcp-remove-binding") edits.push({ action: "remove", role: details.role, member: details.member });
  }
  if (edits.length === 0) return [];

  try {
    const result = await updateProjectPolicy(context.clients, context.integration, edits, retry, (attempt) => {
      context.logger.warn({ attempt }, "project policy changed concurrently; retrying from a fresh read");
    });
    return changes.map((change, index) => {
      const outcome: ResourceOutcome = { ...base(change), outcome: result.effective[index] === true ? DONE[change.action] : "unchanged" };
      context.logger.info({ identity: change.identity, resource: change.resource, outcome: outcome.outcome }, "resource applied");
      return outcome;
    });
  } catch (error) {
    const converted = toGcpCallError(error, { integration: context.integration.name, call: "cloudresourcemanager.projects.setIamPolicy", resource: `projects/${context.integration.gcp.projectId}` });
    context.logger.error({ call: converted.call, code: converted.code, err: converted }, "policy update failed");
    return changes.map((change) => failed(change, converted.message, converted.kind));
  }
}

async function runChange(change: ResourceChange, context: GcpWriteContext, signal: AbortSignal | undefined): Promise<ResourceOutcome> {
  // A safe point: the previous write has finished and this one has not started.
  if (signal?.aborted === true) return failed(change, NOT_STARTED_MESSAGE);
  const details = change.details;
  if (details === undefined || !isGcpDetails(details)) return failed(change, `${change.resource} has no Google Cloud details; an offline plan cannot be applied`);
  try {
    const result = await writeChange(change, details, context);
    const outcome: ResourceOutcome = {
      ...base(change),
      outcome: result.outcome ?? DONE[change.action],
      ...(result.reference !== undefined ? { reference: result.reference } : {}),
      ...(result.createdAt !== undefined ? { createdAt: result.createdAt } : {}),
    };
    context.logger.info({ identity: change.identity, resource: change.resource, outcome: outcome.outcome }, "resource applied");
    return outcome;
  } catch (error) {
    const converted = error instanceof GcpCallError ? error : toGcpCallError(error, { integration: context.integration.name, call: "iam", identity: change.identity, resource: change.resource });
    context.logger.error({ identity: change.identity, resource: change.resource, call: converted.call, code: converted.code, err: converted }, "resource failed");
    return failed(change, converted.message, converted.kind);
  }
}

function isGcpDetails(details: ChangeDetails): details is GcpChangeDetails {
  return details.kind.startsWith("gcp-");
}

function partition<T>(items: readonly T[], test: (item: T) => boolean): [T[], T[]] {
  return [items.filter(test), items.filter((item) => !test(item))];
}
