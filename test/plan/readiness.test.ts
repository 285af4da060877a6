import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { formatReadiness, workloadReadiness } from "../../src/plan/readiness.js";
import type { Plan } from "../../src/plan/types.js";
import type { WorkloadProviderStatus } from "../../src/status/types.js";
import { runCli } from "../support/cli.js";
import { EXAMPLE, installedExample } from "../support/installed-example.js";

const repos: string[] = [];
afterEach(async () => {
  for (const repo of repos.splice(0)) await rm(repo, { recursive: true, force: true });
});

function selection(identity: string | null, ready: boolean, notInstalled: string[] = []): WorkloadProviderStatus {
  return { identity, description: null, integration: "aws-prod", createdAt: null, ready, env: {}, files: [], shadowed: [], notInstalled };
}

function emptyPlan(identities: Plan["identities"]): Plan {
  return {
    mode: "offline",
    revision: null,
    summary: { create: 0, update: 0, delete: 0 },
    changes: [],
    pending: [],
    conflicts: [],
    orphans: [],
    invalid: [],
    failedIntegrations: [],
    skippedIntegrations: [],
    integrations: {},
    identities,
    workloads: {},
  };
}

describe("workload readiness", () => {
  it("is ready after apply on a first run", async () => {
    const result = await runCli(["plan", EXAMPLE, "--offline"]);
    expect(result.stdout).toContain("  shop/storefront  aws: aws-shop-readonly (ready after apply)");
    expect(result.stdout).toContain("  platform/audit-collector  aws: none (not ready: matching but not installed: aws-audit-reader)");
  });

  it("is ready when everything is installed", async () => {
    const repo = await installedExample();
    repos.push(repo);
    const result = await runCli(["plan", repo, "--offline"]);
    expect(result.stdout).toContain("  shop/storefront  aws: aws-shop-readonly (ready)");
    expect(result.stdout).toContain("  shop/api  aws: aws-shop-assets (ready; shadows aws-shop-readonly)");
  });

  it("is ready after apply while a new identity takes over", async () => {
    const repo = await installedExample();
    repos.push(repo);
    const file = path.join(repo, "identities/aws-shop-readonly.yaml");
    await writeFile(file, (await readFile(file, "utf8")).replaceAll("aws-shop-readonly", "aws-shop-catalog"), "utf8");

    const result = await runCli(["plan", repo, "--offline"]);
    expect(result.stdout).toContain("  shop/storefront  aws: aws-shop-catalog (ready after apply)");
  });

  it("names the state of an identity that is not ready", () => {
    const plan = emptyPlan({ "aws-shop-assets": { state: "conflict", message: "the role exists and wid does not own it" } });
    const readiness = workloadReadiness(plan, selection("aws-shop-assets", false));
    expect(formatReadiness(readiness)).toBe("not ready: the identity is in state conflict: the role exists and wid does not own it");
  });

  it("is unknown when the integration could not be read", () => {
    const plan = emptyPlan({ "aws-shop-assets": { state: "failed", message: "integration aws-prod could not be read: timed out", integration: "aws-prod" } });
    plan.integrations["aws-prod"] = { provider: "aws", state: "failed", reference: null, message: "timed out" };
    const readiness = workloadReadiness(plan, selection("aws-shop-assets", false));
    expect(formatReadiness(readiness)).toBe("unknown: integration aws-prod could not be read");
  });

  it("says when no identity matches", () => {
    const readiness = workloadReadiness(emptyPlan({}), selection(null, false));
    expect(formatReadiness(readiness)).toBe("not ready: no identity matches");
  });
});
