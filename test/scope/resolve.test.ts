import { describe, expect, it } from "vitest";

import { compareBytes } from "../../src/text/order.js";
import type { ConfigModel, Provider, Workload, WorkloadIdentity } from "../../src/config/model.js";
import { PROVIDERS, workloadKey } from "../../src/config/model.js";
import type { FrozenSelection, ProviderSelection } from "../../src/scope/resolve.js";
import { resolveSelections } from "../../src/scope/resolve.js";
import { identity, modelOf, workload } from "../support/model.js";

/** The expected selection of one provider for one workload; omitted lists are empty. */
interface Expected {
  selected: string | null;
  shadowed?: string[];
  notInstalled?: string[];
  frozen?: boolean;
}

interface ScopeCase {
  name: string;
  identities: WorkloadIdentity[];
  workloads: Workload[];
  /** Identities installed in the cloud, as the status file records them. */
  installed?: string[];
  /** What the last status recorded about identities that are invalid now. */
  frozen?: Record<string, Partial<Record<Provider, FrozenSelection>>>;
  invalid?: string[];
  /** Per workload key, per provider; a workload or provider left out must have no selection. */
  expected: Record<string, Partial<Record<Provider, Expected>>>;
}

const cases: ScopeCase[] = [
  {
    name: "AND of project and tag restrictions",
    identities: [identity("aws-s3", { projects: ["shop"], tags: ["s3"] })],
    workloads: [workload("shop/api", ["s3"]), workload("shop/worker", ["queue"]), workload("blog/api", ["s3"])],
    expected: { "shop/api": { aws: { selected: "aws-s3" } } },
  },
  {
    name: "projects omitted admits no project",
    identities: [identity("aws-s3", { tags: ["s3"] }), identity("aws-none")],
    workloads: [workload("shop/api", ["s3"])],
    expected: {},
  },
  {
    name: "projects * admits every project",
    identities: [identity("aws-all", { projects: "*" })],
    workloads: [workload("shop/api"), workload("blog/api", ["s3"]), workload("zoo/job", ["x"])],
    expected: { "blog/api": { aws: { selected: "aws-all" } }, "shop/api": { aws: { selected: "aws-all" } }, "zoo/job": { aws: { selected: "aws-all" } } },
  },
  {
    name: "projects * with a tag restriction",
    identities: [identity("aws-s3", { projects: "*", tags: ["s3"] })],
    workloads: [workload("shop/api", ["s3"]), workload("blog/api", ["queue"]), workload("zoo/job")],
    expected: { "shop/api": { aws: { selected: "aws-s3" } } },
  },
  {
    name: "tags omitted admits untagged workloads",
    identities: [identity("aws-shop", { projects: ["shop"] })],
    workloads: [workload("shop/api"), workload("shop/worker", ["queue"]), workload("blog/api")],
    expected: { "shop/api": { aws: { selected: "aws-shop" } }, "shop/worker": { aws: { selected: "aws-shop" } } },
  },
  {
    name: "matchAllTags off needs any one tag",
    identities: [identity("aws-any", { projects: ["shop"], tags: ["reports", "batch"] })],
    workloads: [workload("shop/both", ["reports", "batch"]), workload("shop/one", ["batch"]), workload("shop/none", ["queue"])],
    expected: { "shop/both": { aws: { selected: "aws-any" } }, "shop/one": { aws: { selected: "aws-any" } } },
  },
  {
    name: "matchAllTags on needs every tag",
    identities: [identity("aws-all-tags", { projects: ["shop"], tags: ["reports", "batch"], matchAllTags: true })],
    workloads: [workload("shop/both", ["reports", "batch"]), workload("shop/more", ["batch", "x", "reports"]), workload("shop/one", ["batch"])],
    expected: { "shop/both": { aws: { selected: "aws-all-tags" } }, "shop/more": { aws: { selected: "aws-all-tags" } } },
  },
  {
    name: "matchAllTags on with projects *",
    identities: [identity("aws-all-tags", { projects: "*", tags: ["a", "b"], matchAllTags: true })],
    workloads: [workload("p1/w", ["a", "b"]), workload("p2/w", ["a"]), workload("p3/w", ["b", "a", "c"])],
    expected: { "p1/w": { aws: { selected: "aws-all-tags" } }, "p3/w": { aws: { selected: "aws-all-tags" } } },
  },
  {
    name: "tie-break by byte order of names",
    identities: [identity("aws-2", { projects: "*" }), identity("aws-10", { projects: "*" }), identity("aws-1", { projects: "*" })],
    workloads: [workload("shop/api")],
    expected: { "shop/api": { aws: { selected: "aws-1", shadowed: ["aws-10", "aws-2"] } } },
  },
  {
    name: "shorter name first when it is a prefix",
    identities: [identity("aws-prod-s3", { projects: "*" }), identity("aws-prod", { projects: "*" }), identity("aws-s3-access", { projects: "*" })],
    workloads: [workload("shop/api")],
    expected: { "shop/api": { aws: { selected: "aws-prod", shadowed: ["aws-prod-s3", "aws-s3-access"] } } },
  },
  {
    name: "match that is not a candidate",
    identities: [identity("aws-a-pending", { projects: "*", install: false }), identity("aws-b", { projects: "*" })],
    workloads: [workload("shop/api")],
    expected: { "shop/api": { aws: { selected: "aws-b", notInstalled: ["aws-a-pending"] } } },
  },
  {
    name: "only match is not a candidate",
    identities: [identity("aws-pending", { projects: "*", install: false })],
    workloads: [workload("shop/api")],
    expected: { "shop/api": { aws: { selected: null, notInstalled: ["aws-pending"] } } },
  },
  {
    name: "installed identity with install false is a candidate",
    identities: [identity("aws-kept", { projects: "*", install: false }), identity("aws-later", { projects: "*" })],
    workloads: [workload("shop/api")],
    installed: ["aws-kept"],
    expected: { "shop/api": { aws: { selected: "aws-kept", shadowed: ["aws-later"] } } },
  },
  {
    name: "one AWS and one GCP identity",
    identities: [identity("aws-s3", { projects: ["shop"] }), identity("gcp-gcs", { provider: "gcp", projects: ["shop"] }), identity("gcp-other", { provider: "gcp", projects: ["blog"] })],
    workloads: [workload("shop/api"), workload("blog/api")],
    expected: { "blog/api": { gcp: { selected: "gcp-other" } }, "shop/api": { aws: { selected: "aws-s3" }, gcp: { selected: "gcp-gcs" } } },
  },
  {
    name: "providers shadow independently",
    identities: [
      identity("a-gcp", { provider: "gcp", projects: "*" }),
      identity("b-aws", { projects: "*" }),
      identity("c-aws", { projects: "*" }),
      identity("d-gcp", { provider: "gcp", projects: "*" }),
    ],
    workloads: [workload("shop/api")],
    expected: { "shop/api": { aws: { selected: "b-aws", shadowed: ["c-aws"] }, gcp: { selected: "a-gcp", shadowed: ["d-gcp"] } } },
  },
  {
    name: "frozen selection of an invalid identity",
    identities: [identity("aws-b", { projects: "*" })],
    workloads: [workload("shop/api"), workload("blog/api")],
    invalid: ["aws-a"],
    frozen: { "shop/api": { aws: { selected: "aws-a" } } },
    expected: { "blog/api": { aws: { selected: "aws-b" } }, "shop/api": { aws: { selected: "aws-a", shadowed: ["aws-b"], frozen: true } } },
  },
  {
    name: "frozen selection without valid matches",
    identities: [],
    workloads: [workload("shop/api")],
    invalid: ["gcp-a"],
    frozen: { "shop/api": { gcp: { selected: "gcp-a" } } },
    expected: { "shop/api": { gcp: { selected: "gcp-a", frozen: true } } },
  },
  {
    name: "frozen shadowed and not installed names",
    identities: [identity("aws-b", { projects: "*" }), identity("aws-d", { projects: "*", install: false })],
    workloads: [workload("shop/api"), workload("blog/api")],
    invalid: ["aws-a", "aws-c", "aws-e"],
    frozen: { "shop/api": { aws: { shadowed: ["aws-c", "aws-a"], notInstalled: ["aws-e"] } } },
    expected: {
      "blog/api": { aws: { selected: "aws-b", notInstalled: ["aws-d"] } },
      "shop/api": { aws: { selected: "aws-b", shadowed: ["aws-a", "aws-c"], notInstalled: ["aws-d", "aws-e"] } },
    },
  },
  {
    name: "frozen not installed name alone",
    identities: [],
    workloads: [workload("shop/api")],
    invalid: ["aws-a"],
    frozen: { "shop/api": { aws: { notInstalled: ["aws-a"] } } },
    expected: { "shop/api": { aws: { selected: null, notInstalled: ["aws-a"] } } },
  },
];

describe("resolveSelections", () => {
  it.each(cases)("$name", (scopeCase) => {
    const model = modelOf({
      identities: scopeCase.identities,
      workloads: scopeCase.workloads,
      invalid: (scopeCase.invalid ?? []).map((name) => ({ name, source: { file: "x.yaml", line: 1, column: 1 } })),
    });
    const installed = new Set(scopeCase.installed ?? []);
    const resolution = resolveSelections(model, {
      isInstalled: (name) => installed.has(name),
      frozen: new Map(Object.entries(scopeCase.frozen ?? {})),
    });

    const actual: Record<string, Partial<Record<Provider, ProviderSelection>>> = Object.fromEntries(resolution.workloads);
    const expected = Object.fromEntries(
      Object.entries(scopeCase.expected).map(([key, providers]) => [
        key,
        Object.fromEntries(
          Object.entries(providers).map(([provider, selection]) => [
            provider,
            { selected: selection.selected, shadowed: selection.shadowed ?? [], notInstalled: selection.notInstalled ?? [], frozen: selection.frozen ?? false },
          ]),
        ),
      ]),
    );
    expect(actual).toEqual(expected);
  });

  it("lists the workloads of each selected identity", () => {
    const model = modelOf({
      identities: [identity("aws-a", { projects: ["shop"] }), identity("aws-b", { projects: "*" })],
      workloads: [workload("shop/api"), workload("blog/api"), workload("shop/worker")],
    });
    const resolution = resolveSelections(model, { isInstalled: () => false });

    expect(Object.fromEntries(resolution.identityWorkloads)).toEqual({ "aws-a": ["shop/api", "shop/worker"], "aws-b": ["blog/api"] });
  });

  it("matches a brute-force reference on random repositories", () => {
    const next = random(7);
    for (let round = 0; round < 30; round++) {
      const model = randomModel(next);
      const installed = new Set([...model.identities.keys()].filter(() => next() < 0.3));
      const isInstalled = (name: string): boolean => installed.has(name);

      const actual = resolveSelections(model, { isInstalled });
      const expected = referenceSelections(model, isInstalled);

      expect(Object.fromEntries(actual.workloads)).toEqual(expected);
    }
  });
});

/** Applies the selection rules as directly as possible: every identity against every workload. */
function referenceSelections(model: ConfigModel, isInstalled: (name: string) => boolean): Record<string, Partial<Record<Provider, ProviderSelection>>> {
  const result: Record<string, Partial<Record<Provider, ProviderSelection>>> = {};
  const names = [...model.identities.keys()].sort(compareBytes);
  for (const workload of model.workloads.values()) {
    const entry: Partial<Record<Provider, ProviderSelection>> = {};
    for (const provider of PROVIDERS) {
      const available = names
        .map((name) => model.identities.get(name) as WorkloadIdentity)
        .filter((candidate) => candidate.provider === provider)
        .filter((candidate) => {
          const { projects, tags, matchAllTags } = candidate.scope;
          const projectOk = projects === "*" || (projects !== undefined && projects.includes(workload.project));
          const tagOk = tags === undefined || (matchAllTags ? tags.every((tag) => workload.tags.includes(tag)) : tags.some((tag) => workload.tags.includes(tag)));
          return projectOk && tagOk;
        });
      if (available.length === 0) continue;
      const candidates = available.filter((candidate) => candidate.install || isInstalled(candidate.name)).map((candidate) => candidate.name);
      const notInstalled = available.filter((candidate) => !(candidate.install || isInstalled(candidate.name))).map((candidate) => candidate.name);
      entry[provider] = { selected: candidates[0] ?? null, shadowed: candidates.slice(1), notInstalled, frozen: false };
    }
    if (Object.keys(entry).length > 0) result[workloadKey(workload)] = entry;
  }
  return result;
}

function randomModel(next: () => number): ConfigModel {
  const projects = ["p0", "p1", "p2", "p3"];
  const tags = ["t0", "t1", "t2", "t3", "t4"];
  const some = (items: string[]): string[] => items.filter(() => next() < 0.4);
  const identities = Array.from({ length: 12 }, (_, index) => {
    const roll = next();
    let chosenProjects: "*" | string[] | undefined = some(projects);
    if (roll < 0.2) chosenProjects = "*";
    else if (roll < 0.3) chosenProjects = undefined;
    const chosenTags = next() < 0.3 ? undefined : some(tags);
    return identity(`id-${index}`, {
      provider: next() < 0.6 ? "aws" : "gcp",
      projects: Array.isArray(chosenProjects) && chosenProjects.length === 0 ? ["p0"] : chosenProjects,
      ...(chosenTags === undefined || chosenTags.length === 0 ? {} : { tags: chosenTags }),
      matchAllTags: next() < 0.3,
      install: next() < 0.7,
    });
  });
  const workloads = Array.from({ length: 25 }, (_, index) => workload(`${projects[index % projects.length]}/w-${index}`, some(tags)));
  return modelOf({ identities, workloads });
}

/** A small deterministic pseudo-random generator (mulberry32). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
