import path from "node:path";

import { describe, expect, it } from "vitest";

import { didYouMeanWorkload, workloadNotFoundMessage } from "../../src/config/suggest.js";
import { runCli } from "../support/cli.js";

const EXAMPLE = path.resolve(import.meta.dirname, "../../examples/config-repo");
const KEYS = ["shop/api", "shop/storefront", "billing/api", "platform/audit-collector"];

describe("didYouMeanWorkload", () => {
  it.each([
    ["a bare name in one project", "storefront", '; did you mean "shop/storefront"?'],
    ["a bare name in two projects", "api", '; did you mean one of "shop/api", "billing/api"?'],
    ["a typo of the whole key", "shop/storefrnt", '; did you mean "shop/storefront"?'],
    ["a wrong project", "checkout/storefront", '; did you mean "shop/storefront"?'],
    ["a typo of a bare name", "storefrnt", '; did you mean "shop/storefront"?'],
    ["a name in another case", "Audit-Collector", '; did you mean "platform/audit-collector"?'],
    ["nothing close", "queue", ""],
  ])("suggests for %s", (_, input, expected) => {
    expect(didYouMeanWorkload(input, KEYS)).toBe(expected);
  });

  it("lists at most five workloads", () => {
    const keys = ["a", "b", "c", "d", "e", "f", "g"].map((project) => `${project}/api`);
    expect(didYouMeanWorkload("api", keys)).toBe('; did you mean one of "a/api", "b/api", "c/api", "d/api", "e/api" (and 2 more)?');
  });

  it.each([
    ["shop/apii", 'workload shop/apii not found in the config; did you mean "shop/api"?'],
    ["queue", "workload queue not found in the config; give it as PROJECT/NAME"],
    ["shop/queue", "workload shop/queue not found in the config"],
  ])("words the message for %s", (input, expected) => {
    expect(workloadNotFoundMessage(input, KEYS)).toBe(expected);
  });

  it("names files that cannot be read", () => {
    expect(workloadNotFoundMessage("shop/queue", KEYS, ["workloads/shop.yaml"])).toBe(
      "workload shop/queue not found in the config; workloads/shop.yaml cannot be read and may define it, run wid validate",
    );
  });

  it("suggests the full key in wid explain", async () => {
    const result = await runCli(["explain", EXAMPLE, "--workload", "storefront"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('workload storefront not found in the config; did you mean "shop/storefront"?');
  });
});
