import { describe, expect, it } from "vitest";

import { explainWorkload } from "../../src/scope/explain.js";
import { identity, modelOf, workload } from "../support/model.js";

describe("explainWorkload", () => {
  const api = workload("shop/api", ["s3", "uploads"]);
  const model = modelOf({
    identities: [
      identity("aws-1", { projects: ["shop"], tags: ["s3"] }),
      identity("aws-10", { projects: "*" }),
      identity("aws-2-pending", { projects: ["shop"], install: false }),
      identity("aws-3-no-projects", { tags: ["s3"] }),
      identity("aws-4-other-project", { projects: ["blog"] }),
      identity("aws-5-all-tags", { projects: ["shop"], tags: ["s3", "batch"], matchAllTags: true }),
      identity("gcp-uploads", { provider: "gcp", projects: ["shop"], tags: ["uploads"] }),
    ],
    workloads: [api],
    invalid: [{ name: "gcp-broken", provider: "gcp", source: { file: "identities/gcp-broken.yaml", line: 4, column: 9 } }],
  });
  const explanation = explainWorkload(model, api, () => false);

  it("names the workload and selections", () => {
    expect(explanation.workload).toBe("shop/api");
    expect(explanation.providers.aws?.selected).toBe("aws-1");
    expect(explanation.providers.gcp?.selected).toBe("gcp-uploads");
  });

  it("explains each rule for each identity", () => {
    const reasons = Object.fromEntries((explanation.providers.aws?.candidates ?? []).map((candidate) => [candidate.identity, candidate.reasons]));

    expect(reasons["aws-1"]).toEqual([
      "project restriction: passes, because shop is listed in scope.projects",
      "tag restriction: passes, because the workload has tags [s3, uploads] and scope requires any of [s3]",
      "candidate (install: true); selected as the first candidate in byte order of names",
    ]);
    expect(reasons["aws-10"]).toEqual([
      'project restriction: passes, because scope.projects is "*"',
      "tag restriction: passes, because scope.tags is omitted",
      "candidate, but shadowed by aws-1, which comes first in byte order of names",
    ]);
    expect(reasons["aws-2-pending"]?.[2]).toBe("available, but not a candidate: install is false and the identity is not installed");
    expect(reasons["aws-3-no-projects"]?.[0]).toBe("project restriction: fails, because scope.projects is omitted, which admits no project");
    expect(reasons["aws-4-other-project"]?.[0]).toBe("project restriction: fails, because shop is not listed in scope.projects [blog]");
    expect(reasons["aws-5-all-tags"]?.[1]).toBe("tag restriction: fails, because the workload has tags [s3, uploads] and scope requires all of [s3, batch]");
    expect(reasons["aws-5-all-tags"]?.[2]).toBe("not available, so not a candidate");
  });

  it("flags available and candidate per identity", () => {
    const flags = (explanation.providers.aws?.candidates ?? []).map((candidate) => [candidate.identity, candidate.available, candidate.candidate]);

    expect(flags).toEqual([
      ["aws-1", true, true],
      ["aws-10", true, true],
      ["aws-2-pending", true, false],
      ["aws-3-no-projects", false, false],
      ["aws-4-other-project", false, false],
      ["aws-5-all-tags", false, false],
    ]);
  });

  it("lists invalid identities with their file", () => {
    const broken = explanation.providers.gcp?.candidates.find((candidate) => candidate.identity === "gcp-broken");

    expect(broken).toEqual({
      identity: "gcp-broken",
      available: false,
      candidate: false,
      reasons: ["invalid: identities/gcp-broken.yaml has errors, so its scope is unknown; run wid validate"],
    });
  });

  it("keeps the frozen selection of an invalid identity", () => {
    const frozen = explainWorkload(model, api, () => false, { gcp: { selected: "gcp-broken" } });
    const reasons = Object.fromEntries((frozen.providers.gcp?.candidates ?? []).map((candidate) => [candidate.identity, candidate.reasons]));

    expect(frozen.providers.gcp?.selected).toBe("gcp-broken");
    expect(frozen.providers.aws?.selected).toBe("aws-1");
    expect(reasons["gcp-uploads"]?.[2]).toBe("candidate, but shadowed by gcp-broken, which keeps its last selection while it is invalid");
    expect(reasons["gcp-broken"]?.[1]).toBe("selected: the last status maps this workload to it, and the mapping is kept until the file is fixed");
  });

  it("counts an installed identity as a candidate", () => {
    const installed = explainWorkload(model, api, (name) => name === "aws-2-pending");
    const pending = installed.providers.aws?.candidates.find((candidate) => candidate.identity === "aws-2-pending");

    expect(pending?.candidate).toBe(true);
    expect(pending?.reasons[2]).toBe("candidate, but shadowed by aws-1, which comes first in byte order of names");
  });
});
