import { describe, expect, it } from "vitest";

import { runCli } from "./support/cli.js";

describe("wid CLI", () => {
  it("validates the example repository", async () => {
    const result = await runCli(["validate", "examples/config-repo"], { cwd: process.cwd() });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Valid:");
  });
});
