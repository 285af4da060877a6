import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

import { parse } from "yaml";
import { describe, expect, it } from "vitest";

const FILES = ["action.yml", ".github/workflows/ci.yml", "examples/github-workflows/wid-pull-request.yml", "examples/github-workflows/wid-reconcile.yml"];

/** Collects every `uses:` value of a workflow or composite action. */
function usesOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(usesOf);
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([key, field]) => (key === "uses" && typeof field === "string" ? [field] : usesOf(field)));
}

function load(file: string): Record<string, unknown> {
  return parse(readFileSync(file, "utf8")) as Record<string, unknown>;
}

describe("workflows and the action", () => {
  it.each(FILES)("%s pins actions by commit SHA", (file) => {
    const text = readFileSync(file, "utf8");
    const uses = usesOf(load(file));

    expect(uses.length).toBeGreaterThan(0);
    for (const reference of uses) {
      if (reference.startsWith("your-org/wid@")) continue;
      expect(reference).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
      const line = text.split("\n").find((candidate) => candidate.includes(reference));
      expect(line).toMatch(/ # v\d+\.\d+\.\d+$/);
    }
  });

  it.each(FILES.filter((file) => file !== "action.yml"))("%s sets least-privilege permissions", (file) => {
    const workflow = load(file);
    const top = workflow.permissions;
    expect(top === undefined ? undefined : JSON.stringify(top)).toMatch(/^(\{\}|\{"contents":"read"\})$/);
    const triggers = JSON.stringify(workflow.on);
    expect(triggers).not.toContain("pull_request_target");
    const jobs = Object.values(workflow.jobs as Record<string, { permissions?: Record<string, string> }>);
    for (const job of jobs) {
      const permissions = job.permissions ?? {};
      for (const scope of Object.keys(permissions)) expect(["contents", "checks", "pull-requests", "id-token"]).toContain(scope);
      // A workflow that runs for pull requests never gets to write the repository.
      if (triggers.includes("pull_request")) expect(permissions.contents ?? "read").toBe("read");
    }
  });

  it("never gives the pull request workflow cloud access", () => {
    const workflow = load("examples/github-workflows/wid-pull-request.yml");
    const text = JSON.stringify(workflow);

    expect(text).not.toContain("id-token");
    expect(text).not.toContain("secrets.");
    expect(text).not.toContain("configure-aws-credentials");
  });

  it("rejects an unknown plan-mode in the action", () => {
    const action = load("action.yml");
    const steps = (action.runs as { steps: { name?: string; run?: string }[] }).steps;
    const script = steps.find((step) => step.name === "Post check run")?.run ?? "";
    const result = spawnSync("bash", ["-c", script], {
      env: { PATH: process.env.PATH, PLAN_MODE: "sometimes", CONFIG_PATH: ".", CHECK_NAME: "wid plan", GITHUB_ACTION_PATH: "/nonexistent" },
      encoding: "utf8",
    });

    expect(result.status).toBe(1);
    expect(result.stdout).toContain('plan-mode is "sometimes"; use auto, offline or online');
  });
});
