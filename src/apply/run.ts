import type { Logger } from "pino";

import { compareBytes } from "../text/order.js";
import type { IntegrationNote, Plan, ResourceChange } from "../plan/types.js";
import { RESOURCE_TYPES } from "../plan/types.js";
import type { ApplyOptions, ResourceOutcome } from "../providers/types.js";
import { NOT_STARTED_MESSAGE } from "../providers/types.js";
import type { IntegrationSession } from "../reconcile/observe.js";
import type { ApplyFailures, ApplyReport, ApplySummary } from "./types.js";

/**
 * Executes a plan through the adapters of the observed integrations, concurrently per
 * integration, and reports every resource's outcome: created, updated, deleted,
 * unchanged or failed. Integrations are independent: a failure in one does not stop
 * the others. A change of an integration that was not observed is reported failed.
 * Changes that wait for another identity (`onlyAfter`) run in a second round, once
 * every other change was made, and only when that identity's changes all succeeded.
 * Once `options.signal` aborts, writes in progress finish and no further write starts;
 * the report is then marked `stopped`.
 */
export async function applyPlan(plan: Plan, sessions: ReadonlyMap<string, IntegrationSession>, options: ApplyOptions, logger: Logger): Promise<ApplyReport> {
  const waiting = plan.changes.filter((change) => change.onlyAfter !== undefined);
  const first = await applyRound(plan.changes.filter((change) => change.onlyAfter === undefined), sessions, options, logger);

  // Second round: a stale resource goes only once its identity's new resources exist.
  const failed = new Set(first.filter((outcome) => outcome.outcome === "failed" && outcome.identity !== null).map((outcome) => identityKey(outcome.integration, outcome.identity ?? "")));
  const blocked = waiting.filter((change) => change.onlyAfter !== undefined && failed.has(identityKey(change.onlyAfter.integration, change.onlyAfter.identity)));
  const second = await applyRound(waiting.filter((change) => !blocked.includes(change)), sessions, options, logger);
  const skipped = blocked.map((change) =>
    notApplied(change, `not attempted because a change of identity ${change.identity ?? ""} in integration ${change.onlyAfter?.integration ?? ""} failed, so the resource it replaces is kept; the next run tries again`),
  );

  const outcomes = [...orderByPlan(plan, [...first, ...second, ...skipped]), ...unchangedOutcomes(plan, sessions, logger)];
  const stopped = outcomes.some((outcome) => outcome.outcome === "failed" && outcome.message === NOT_STARTED_MESSAGE);
  return { outcomes, summary: summarizeOutcomes(outcomes), failedIntegrations: plan.failedIntegrations, failed: failedNames(outcomes, plan.failedIntegrations), stopped };
}

/** Applies `changes` through each integration's adapter, integrations concurrently. */
async function applyRound(changes: readonly ResourceChange[], sessions: ReadonlyMap<string, IntegrationSession>, options: ApplyOptions, logger: Logger): Promise<ResourceOutcome[]> {
  const byIntegration = new Map<string, ResourceChange[]>();
  for (const change of changes) {
    const list = byIntegration.get(change.integration) ?? [];
    list.push(change);
    byIntegration.set(change.integration, list);
  }

  const results = await Promise.all(
    [...byIntegration].map(async ([name, list]): Promise<ResourceOutcome[]> => {
      const apply = sessions.get(name)?.apply;
      if (apply === undefined) return list.map((change) => notApplied(change, `integration ${name} was not observed, so nothing was applied to it`));
      if (options.signal?.aborted === true) return list.map((change) => notApplied(change, NOT_STARTED_MESSAGE));
      try {
        return await apply(list, options, logger);
      } catch (error) {
        // Adapters report failures as outcomes; an exception here is a bug, kept to this integration.
        logger.error({ integration: name, err: error }, "apply failed unexpectedly");
        const message = `apply failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`;
        return list.map((change) => notApplied(change, message));
      }
    }),
  );
  return results.flat();
}

function identityKey(integration: string, identity: string): string {
  return `${integration}\u0000${identity}`;
}

/**
 * Outcomes of the resources that needed no change: every resource of an identity that
 * is installed with `install: true`, and the OIDC provider of an integration that has one.
 * Ordered by integration, then identity (integration-wide resources first), then resource.
 */
function unchangedOutcomes(plan: Plan, sessions: ReadonlyMap<string, IntegrationSession>, logger: Logger): ResourceOutcome[] {
  const changed = new Set(plan.changes.map((change) => `${change.integration}\u0000${change.resource}`));
  const outcomes: ResourceOutcome[] = [];
  const add = (integration: string, provider: ResourceOutcome["provider"], identity: string | null, resource: string): void => {
    if (changed.has(`${integration}\u0000${resource}`)) return;
    const type = resource.slice(0, resource.indexOf("/"));
    if (!isResourceType(type)) return;
    outcomes.push({ resource, type, provider, integration, identity, action: null, outcome: "unchanged" });
  };

  for (const [name, state] of Object.entries(plan.integrations)) {
    if (state.state !== "present" || sessions.get(name)?.apply === undefined) continue;
    for (const resource of state.resources ?? []) add(name, state.provider, null, resource);
  }
  const pendingIdentities = new Set(plan.pending.map((change) => change.identity));
  for (const [name, state] of Object.entries(plan.identities)) {
    if (state.state !== "installed" || state.resources === undefined || pendingIdentities.has(name)) continue;
    const integration = state.integration;
    if (integration === undefined) continue;
    const provider = plan.integrations[integration]?.provider;
    if (provider === undefined) {
      // The provider decides the resource type, so a guess could report the wrong cloud.
      logger.warn({ identity: name, integration }, "unchanged resources not listed because the plan has no provider for the integration");
      continue;
    }
    for (const resource of state.resources) add(integration, provider, name, resource);
  }
  return outcomes.sort(
    (a, b) => compareBytes(a.integration, b.integration) || compareBytes(a.identity ?? "", b.identity ?? "") || compareBytes(a.resource, b.resource),
  );
}

const RESOURCE_TYPE_SET: ReadonlySet<string> = new Set(RESOURCE_TYPES);

function isResourceType(type: string): type is ResourceOutcome["type"] {
  return RESOURCE_TYPE_SET.has(type);
}

/**
 * Sorts the outcomes of planned changes into the order of `plan.changes`, so apply
 * lists them as plan printed them. The sort is stable, and an outcome that matches no
 * planned change goes last.
 */
function orderByPlan(plan: Plan, outcomes: ResourceOutcome[]): ResourceOutcome[] {
  const planIndex = new Map(plan.changes.map((change, index) => [`${change.integration}\u0000${change.resource}\u0000${change.action}`, index]));
  const index = (outcome: ResourceOutcome): number => planIndex.get(`${outcome.integration}\u0000${outcome.resource}\u0000${outcome.action ?? ""}`) ?? plan.changes.length;
  return outcomes.sort((a, b) => index(a) - index(b));
}

/**
 * Names what failed: integrations that could not be observed or whose integration-wide
 * resource failed, and identities with a failed resource, each in byte order.
 */
export function failedNames(outcomes: readonly ResourceOutcome[], failedIntegrations: readonly IntegrationNote[]): ApplyFailures {
  const integrations = new Set(failedIntegrations.map((note) => note.integration));
  const identities = new Map<string, { integration: string; identity: string }>();
  for (const outcome of outcomes) {
    if (outcome.outcome !== "failed") continue;
    if (outcome.identity === null) integrations.add(outcome.integration);
    else identities.set(identityKey(outcome.integration, outcome.identity), { integration: outcome.integration, identity: outcome.identity });
  }
  return {
    integrations: [...integrations].sort(compareBytes),
    identities: [...identities.values()].sort((a, b) => compareBytes(a.identity, b.identity) || compareBytes(a.integration, b.integration)),
  };
}

/** Counts outcomes by kind. */
export function summarizeOutcomes(outcomes: readonly ResourceOutcome[]): ApplySummary {
  const summary: ApplySummary = { created: 0, updated: 0, deleted: 0, unchanged: 0, failed: 0 };
  for (const outcome of outcomes) summary[outcome.outcome]++;
  return summary;
}

function notApplied(change: ResourceChange, message: string): ResourceOutcome {
  return { resource: change.resource, type: change.type, provider: change.provider, integration: change.integration, identity: change.identity, action: change.action, outcome: "failed", message };
}
