import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { runCli } from "./support/cli.js";

const folders: string[] = [];
afterEach(async () => {
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

async function tempFolder(): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), "wid-smoke-"));
  folders.push(folder);
  return folder;
}

describe("wid CLI", () => {
  it("validates the example repository", async () => {
    const result = await runCli(["validate", "examples/config-repo"], { cwd: process.cwd() });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Valid:");
  });

  it("rejects a folder without YAML files", async () => {
    const folder = await tempFolder();
    await writeFile(path.join(folder, "README.md"), "# not config\n");
    const result = await runCli(["validate", folder]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("has no .yaml or .yml files");
  });

  it("skips YAML under node_modules", async () => {
    const folder = await tempFolder();
    await cp(path.resolve("examples/config-repo"), folder, { recursive: true });
    await mkdir(path.join(folder, "node_modules", "some-package"), { recursive: true });
    await writeFile(path.join(folder, "node_modules", "some-package", ".travis.yml"), "language: node_js\n");
    await writeFile(path.join(folder, "node_modules", "some-package", "config.yaml"), "language: node_js\n");
    const result = await runCli(["validate", folder]);
    expect(result.stdout).not.toContain("node_modules");
    expect(result.code).toBe(0);
  });
});
