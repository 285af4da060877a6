import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

import { describe, expect, it } from "vitest";

const SRC = path.resolve(import.meta.dirname, "../../src");

/**
 * What the planner may import from the cloud adapters: the adapter interface, as types
 * only, and the AWS resource names that the offline planner shares with the adapter.
 * Everything else the planner needs, such as the canonical form of policy documents,
 * lives in src/config.
 */
const ALLOWED = new Set(["type ../providers/types.js", "value ../providers/aws/resources.js"]);

/** Returns the imports of every file under `folder` that point into src/providers, as `type|value SPECIFIER`. */
async function providerImports(folder: string): Promise<{ file: string; imported: string }[]> {
  const found: { file: string; imported: string }[] = [];
  for (const entry of await readdir(path.join(SRC, folder), { recursive: true })) {
    if (!entry.endsWith(".ts")) continue;
    const text = await readFile(path.join(SRC, folder, entry), "utf8");
    for (const match of text.matchAll(/^import (type )?[^;]*? from "([^"]+)";$/gms)) {
      const specifier = match[2] ?? "";
      if (!specifier.includes("/providers/")) continue;
      found.push({ file: `${folder}/${entry}`, imported: `${match[1] === undefined ? "value" : "type"} ${specifier}` });
    }
  }
  return found;
}

describe("layering", () => {
  it("keeps src/plan off the adapters", async () => {
    const imports = await providerImports("plan");

    expect(imports.filter(({ imported }) => !ALLOWED.has(imported))).toEqual([]);
  });

  it("keeps src/config off the adapters", async () => {
    expect(await providerImports("config")).toEqual([]);
  });
});
