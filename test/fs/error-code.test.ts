import { readFile } from "node:fs/promises";

import { describe, expect, it } from "vitest";

import { systemErrorCode } from "../../src/fs/error-code.js";

describe("systemErrorCode", () => {
  it("returns the code of a system error", async () => {
    const error: unknown = await readFile("/nonexistent/wid-error-code-test").catch((caught: unknown) => caught);
    expect(systemErrorCode(error)).toBe("ENOENT");
  });

  it.each([
    ["a string", "ENOENT"],
    ["an error without a code", new Error("failed")],
    ["a plain object with a code", { code: "ENOENT" }],
    ["an error with a numeric code", Object.assign(new Error("failed"), { code: 2 })],
  ])("returns undefined for %s", (_, thrown) => {
    expect(systemErrorCode(thrown)).toBeUndefined();
  });
});
