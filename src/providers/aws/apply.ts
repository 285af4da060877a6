import PQueue from "p-queue";
import type { Logger } from "pino";

import type { AwsIntegration } from "../../config/model.js";
import type { ResourceChange } from "../../plan/types.js";
import type { ApplyOptions, ApplyRequest, ResourceOutcome } from "../types.js";
import { base, DONE, failed } from "../outcome.js";
import { CloudError, NOT_STARTED_MESSAGE } from "../types.js";
import type { AwsClients } from "./client.js";
import { convertAwsError } from "./errors.js";
import { checkCallerAccount } from "./observe.js";
import { writeChange } from "./write.js";

/** Everything one change's write needs besides the change itself. */
export interface WriteContext {
  clients: AwsClients;
  integration: AwsIntegration;
  options: ApplyOptions;
  logger: Logger;
  /**
   * Set once IAM still rejected the OIDC provider as a principal after the full wait.
   * Later writes in the same apply then fail at once instead of each waiting again.
   */
  principalWait: { exhausted: boolean };
}

/**
 * Applies an integration's planned changes. The OIDC provider comes first. Then each
 * role's changes run in plan order (create or update the role with its trust policy,
 * then its inline policy), roles concurrently up to `options.parallelism`. Removals
 * come last, inline policies before the role. Right after the provider is created, one role is
 * created alone, waiting out IAM's eventual consistency, before the others start, so
 * that a thousand roles do not all retry at once. STS GetCallerIdentity is checked
 * before the first write. Once `options.signal` aborts, no further write starts: a
 * role can be left between its create and its inline policy, which the next run
 * finishes. Every change gets an outcome; nothing is thrown.
 */
export async function applyAws(clients: AwsClients, request: ApplyRequest<"aws">): Promise<ResourceOutcome[]> {
  const { integration, changes, options } = request;
  const logger = request.logger.child({ integration: integration.name });
  const outcomes: ResourceOutcome[] = [];
  if (changes.length === 0) return outcomes;

  // Guard: the credentials must act in the integration's account before anything is written.
  try {
    await checkCallerAccount(clients, integration);
  } catch (error) {
    const converted = convertAwsError(error, { integration: integration.name, call: "sts:GetCallerIdentity" });
    logger.error({ err: converted }, "account check failed; nothing applied");
    return changes.map((change) => failed(change, converted.message, converted.kind));
  }

  const context: WriteContext = { clients, integration, options, logger, principalWait: { exhausted: false } };
  const integrationChanges = changes.filter((change) => change.identity === null);
  const groups = groupByRole(changes.filter((change) => change.identity !== null));

  // The OIDC provider comes first: every role's trust policy names it.
  let providerFailure: string | undefined;
  let providerCreated = false;
  for (const change of integrationChanges) {
    const outcome = await runChange(change, context);
    outcomes.push(outcome);
    if (outcome.outcome === "failed") providerFailure = outcome.message === NOT_STARTED_MESSAGE ? "the run was stopped" : `${change.resource} failed: ${outcome.message ?? ""}`;
    else if (change.action === "create") providerCreated = true;
  }

  const writes = groups.filter((group) => group.some((change) => change.action !== "delete"));
  const removals = groups.filter((group) => group.every((change) => change.action === "delete"));
  const runnable: ResourceChange[][] = [];
  for (const group of writes) {
    if (providerFailure !== undefined && group.some(needsProvider)) outcomes.push(...group.map((change) => failed(change, `not attempted because ${providerFailure}`)));
    else runnable.push(group);
  }

  // A fresh provider: the first role that trusts it goes alone, and waits IAM out.
  const probeIndex = providerCreated ? runnable.findIndex((group) => group.some(needsProvider)) : -1;
  if (probeIndex >= 0) {
    const [probe] = runnable.splice(probeIndex, 1);
    if (probe !== undefined) outcomes.push(...(await runGroup(probe, context)));
  }

  outcomes.push(...(await runConcurrently(runnable, context)));
  outcomes.push(...(await runConcurrently(removals, context)));
  return outcomes;
}

/** Changes grouped per role, in plan order within each group and in order of first appearance. */
function groupByRole(changes: readonly ResourceChange[]): ResourceChange[][] {
  const groups = new Map<string, ResourceChange[]>();
  for (const change of changes) {
    const key = change.details !== undefined && "roleName" in change.details ? change.details.roleName : change.resource;
    const group = groups.get(key) ?? [];
    group.push(change);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/** Tells whether a change writes a trust policy, which IAM checks against the OIDC provider. */
function needsProvider(change: ResourceChange): boolean {
  const details = change.details;
  if (details === undefined) return false;
  return details.kind === "aws-create-role" || details.kind === "aws-replace-role" || (details.kind === "aws-update-role" && details.trustPolicy !== null);
}

async function runConcurrently(groups: readonly ResourceChange[][], context: WriteContext): Promise<ResourceOutcome[]> {
  const queue = new PQueue({ concurrency: Math.max(1, context.options.parallelism) });
  const results = await Promise.all(groups.map((group) => queue.add(() => runGroup(group, context))));
  return results.flat();
}

/** Runs one role's changes in order; after a failure the rest are reported as not attempted. */
async function runGroup(group: readonly ResourceChange[], context: WriteContext): Promise<ResourceOutcome[]> {
  const outcomes: ResourceOutcome[] = [];
  let failure: string | undefined;
  for (const change of group) {
    if (failure !== undefined) {
      outcomes.push(failed(change, `not attempted because ${failure}`));
      continue;
    }
    const outcome = await runChange(change, context);
    outcomes.push(outcome);
    if (outcome.outcome === "failed") failure = outcome.message === NOT_STARTED_MESSAGE ? "the run was stopped" : `${change.resource} failed`;
  }
  return outcomes;
}

async function runChange(change: ResourceChange, context: WriteContext): Promise<ResourceOutcome> {
  // A safe point: the previous write has finished and this one has not started.
  if (context.options.signal?.aborted === true) return failed(change, NOT_STARTED_MESSAGE);
  try {
    const result = await writeChange(change, context);
    const outcome: ResourceOutcome = { ...base(change), outcome: result.outcome ?? DONE[change.action], ...result.facts };
    if (outcome.outcome === "failed") context.logger.error({ identity: change.identity, resource: change.resource, rollback: outcome.rollback, err: outcome.message }, "resource failed");
    else context.logger.info({ identity: change.identity, resource: change.resource, outcome: outcome.outcome }, "resource applied");
    return outcome;
  } catch (error) {
    const converted = error instanceof CloudError ? error : convertAwsError(error, { integration: context.integration.name, call: "iam", identity: change.identity, resource: change.resource });
    context.logger.error({ identity: change.identity, resource: change.resource, call: converted.call, code: converted.code, err: converted }, "resource failed");
    return failed(change, converted.message, converted.kind);
  }
}
