import path from "node:path";

import { pino } from "pino";
import { describe, expect, it } from "vitest";

import { applyPlan } from "../../src/apply/run.js";
import { loadConfig } from "../../src/config/load.js";
import type { Plan, ResourceChange } from "../../src/plan/types.js";
import { DEFAULT_CONSISTENCY_WAIT } from "../../src/providers/types.js";
import type { ApplyOptions, ResourceOutcome } from "../../src/providers/types.js";
import type { IntegrationSession } from "../../src/reconcile/observe.js";

const OPTIONS: ApplyOptions = { parallelism: 1, consistencyWait: DEFAULT_CONSISTENCY_WAIT };
const EXAMPLE = path.resolve(import.meta.dirname, "../../examples/config-repo");

function change(action: ResourceChange["action"], resource: string, identity: string | null): ResourceChange {
  return { action, type: "role", resource, provider: "aws", integration: "aws-prod", identity, reason: "test" };
}

/** Fails the changes of identity zeta and makes every other change. */
function outcomeOf(planned: ResourceChange): ResourceOutcome["outcome"] {
  if (planned.identity === "zeta") return "failed";
  return planned.action === "delete" ? "deleted" : "created";
}

/** Builds an online plan of the example's aws-prod integration that makes `changes` in the given order. */
function planOf(changes: ResourceChange[]): Plan {
  return {
    mode: "online",
    revision: null,
    summary: { create: 0, update: 0, delete: 0 },
    changes,
    pending: [],
    conflicts: [],
    orphans: [],
    invalid: [],
    failedIntegrations: [],
    skippedIntegrations: [],
    integrations: { "aws-prod": { provider: "aws", state: "present", reference: null, resources: [] } },
    identities: {},
    workloads: {},
  };
}

describe("applyPlan", () => {
  it("lists outcomes in plan order", async () => {
    const { model } = await loadConfig(EXAMPLE);
    const integration = model.integrations.get("aws-prod");
    if (integration === undefined) throw new Error("the example has no aws-prod integration");
    const changes = [change("create", "role/wid-zeta", "zeta"), change("create", "role/wid-alpha", "alpha"), change("delete", "role/wid-old", "alpha")];

    // The adapter reports in reverse order, and fails one identity.
    const session: IntegrationSession = {
      integration,
      input: { status: "failed", message: "not used" },
      apply: (list) =>
        Promise.resolve(
          [...list].reverse().map((each) => ({
            resource: each.resource,
            type: each.type,
            provider: each.provider,
            integration: each.integration,
            identity: each.identity,
            action: each.action,
            outcome: outcomeOf(each),
          })),
        ),
    };
    const report = await applyPlan(planOf(changes), new Map([["aws-prod", session]]), OPTIONS, pino({ level: "silent" }));

    expect(report.outcomes.map((outcome) => outcome.resource)).toEqual(["role/wid-zeta", "role/wid-alpha", "role/wid-old"]);
    expect(report.failed.identities).toEqual([{ integration: "aws-prod", identity: "zeta" }]);
    expect(report.failed.integrations).toEqual([]);
  });

  it("names an integration whose OIDC provider failed", async () => {
    const { model } = await loadConfig(EXAMPLE);
    const integration = model.integrations.get("aws-prod");
    if (integration === undefined) throw new Error("the example has no aws-prod integration");
    const provider: ResourceChange = { ...change("create", "oidc-provider/oidc.example.com", null), type: "oidc-provider" };

    const session: IntegrationSession = {
      integration,
      input: { status: "failed", message: "not used" },
      apply: (list) => Promise.resolve(list.map((each) => ({ ...each, outcome: "failed" as const, message: "test failure" }))),
    };
    const report = await applyPlan(planOf([provider]), new Map([["aws-prod", session]]), OPTIONS, pino({ level: "silent" }));

    expect(report.failed.integrations).toEqual(["aws-prod"]);
    expect(report.failed.identities).toEqual([]);
  });
});
