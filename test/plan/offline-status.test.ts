import { rm } from "node:fs/promises";

import { afterEach, describe, expect, it } from "vitest";

import { runCli } from "../support/cli.js";
import { EXAMPLE, installedExample } from "../support/installed-example.js";

const repos: string[] = [];
afterEach(async () => {
  for (const repo of repos.splice(0)) await rm(repo, { recursive: true, force: true });
});

describe("offline plan", () => {
  it("reports a missing status file", async () => {
    const result = await runCli(["plan", EXAMPLE, "--offline"]);
    expect(result.stdout.split("\n")[0]).toBe(
      "Offline plan: status file .wid/status.yaml not found, so every identity is planned as new, as on a first run. The cloud was not read; resources that already exist there are not visible.",
    );
  });

  it("names the status file it compared with", async () => {
    const repo = await installedExample();
    repos.push(repo);
    const result = await runCli(["plan", repo, "--offline", "--format", "json"]);
    expect(result.stderr).toBe("");
    const text = await runCli(["plan", repo, "--offline"]);
    expect(text.stdout.split("\n")[0]).toBe("Offline plan: compared with .wid/status.yaml, not with the cloud; drift is not visible.");
  });
});
