import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import type { Provider } from "../../src/config/model.js";
import { PROVIDERS } from "../../src/config/model.js";
import { loadConfig } from "../../src/config/load.js";
import type { Explanation } from "../../src/scope/explain.js";
import { runCli } from "../support/cli.js";
import { installedExample as installedCopy } from "../support/installed-example.js";

/** The selection facts that `wid plan` and `wid explain` must agree on, for one workload and provider. */
interface Selection {
  identity: string | null;
  shadowed: string[];
  notInstalled: string[];
}

const NONE: Selection = { identity: null, shadowed: [], notInstalled: [] };

/** Ways to break a config repository whose identities are all installed. */
const SCENARIOS: { name: string; file: string; edit: (text: string) => string }[] = [
  { name: "an identity file that cannot be parsed", file: "identities/aws-shop-assets.yaml", edit: () => "apiVersion: wid/v1\nkind: WorkloadIdentity\nmetadata: [unclosed\n" },
  { name: "an invalid identity", file: "identities/aws-queue-consumer.yaml", edit: (text) => text.replace("sqs:ReceiveMessage", "sqs:ReceiveMesage") },
  { name: "an invalid integration", file: "integrations/aws-prod.yaml", edit: (text) => text.replace('accountId: "123456789012"', "accountId: 123456789012") },
  { name: "an invalid identity that others shadow", file: "identities/aws-shop-readonly.yaml", edit: (text) => text.replace("install: true", "install: maybe") },
];

const repos: string[] = [];
afterEach(async () => {
  for (const repo of repos.splice(0)) await rm(repo, { recursive: true, force: true });
});

/** Copies the installed example into a temp folder that is removed after the test. */
async function installedExample(): Promise<string> {
  const repo = await installedCopy();
  repos.push(repo);
  return repo;
}

/** Reads the selection facts of one provider from `wid explain --format json`. */
function explained(explanation: Explanation, provider: Provider): Selection {
  const result = explanation.providers[provider];
  if (result === undefined) return NONE;
  const others = result.candidates.filter((candidate) => candidate.identity !== result.selected);
  return {
    identity: result.selected,
    shadowed: others.filter((candidate) => candidate.candidate).map((candidate) => candidate.identity).sort(),
    notInstalled: others.filter((candidate) => candidate.available && !candidate.candidate).map((candidate) => candidate.identity).sort(),
  };
}

describe("explain and plan", () => {
  it.each(SCENARIOS)("agree on selections with $name", async ({ file, edit }) => {
    const repo = await installedExample();
    const target = path.join(repo, file);
    await writeFile(target, edit(await readFile(target, "utf8")), "utf8");
    const { model } = await loadConfig(repo);

    const planned = await runCli(["plan", repo, "--offline", "--format", "json"]);
    const plan = JSON.parse(planned.stdout) as { workloads: Record<string, Partial<Record<Provider, Selection>>> };
    const explanations = await Promise.all(
      [...model.workloads.keys()].map(async (key) => {
        const result = await runCli(["explain", repo, "--workload", key, "--format", "json"]);
        expect(result.code, result.stderr).toBe(0);
        return JSON.parse(result.stdout) as Explanation;
      }),
    );

    expect(planned.code).toBe(1);
    expect(Object.values(plan.workloads).filter((entry) => entry.aws?.identity !== undefined && entry.aws.identity !== null).length).toBeGreaterThan(0);
    for (const explanation of explanations) {
      for (const provider of PROVIDERS) {
        const entry = plan.workloads[explanation.workload]?.[provider];
        const fromPlan = entry === undefined ? NONE : { identity: entry.identity, shadowed: [...entry.shadowed].sort(), notInstalled: [...entry.notInstalled].sort() };
        expect({ workload: explanation.workload, provider, ...explained(explanation, provider) }).toEqual({ workload: explanation.workload, provider, ...fromPlan });
      }
    }
  });

  it("lists an identity of an unparseable file with the reason", async () => {
    const repo = await installedExample();
    await writeFile(path.join(repo, "identities/aws-shop-assets.yaml"), "apiVersion: wid/v1\nkind: WorkloadIdentity\nmetadata: [unclosed\n", "utf8");

    const result = await runCli(["explain", repo, "--workload", "shop/image-resizer", "--format", "json"]);
    const explanation = JSON.parse(result.stdout) as Explanation;
    const assets = explanation.providers.aws?.candidates.find((candidate) => candidate.identity === "aws-shop-assets");

    expect(explanation.providers.aws?.selected).toBe("aws-shop-assets");
    expect(assets?.reasons).toEqual([
      "invalid: identities/aws-shop-assets.yaml has errors, so its scope is unknown; run wid validate",
      "selected: the last status maps this workload to it, and the mapping is kept until the file is fixed",
    ]);
  });
});
