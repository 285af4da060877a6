import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { loadConfig } from "../../src/config/load.js";
import { planOffline } from "../../src/plan/offline.js";
import { readStatusFile } from "../../src/status/file.js";
import { EXAMPLE, installedExample } from "../support/installed-example.js";

const repos: string[] = [];
afterEach(async () => {
  for (const repo of repos.splice(0)) await rm(repo, { recursive: true, force: true });
});

/** Sets `suspend: true` in the Settings of `repo`. */
async function suspend(repo: string): Promise<void> {
  const file = path.join(repo, "settings.yaml");
  await writeFile(file, `${await readFile(file, "utf8")}  suspend: true\n`, "utf8");
}

describe("offline plan while suspended", () => {
  it("holds a first install as pending", async () => {
    const repo = await mkdtemp(path.join(tmpdir(), "wid-suspend-"));
    repos.push(repo);
    await cp(EXAMPLE, repo, { recursive: true });
    await suspend(repo);

    const plan = planOffline((await loadConfig(repo)).model, undefined, null);

    expect(plan.changes).toEqual([]);
    expect(plan.summary).toEqual({ create: 0, update: 0, delete: 0 });
    expect(plan.pending.some((change) => change.resource === "role/wid-aws-shop-assets")).toBe(true);
    expect(plan.identities["aws-shop-assets"]).toEqual({ state: "pending-install", message: "applying is suspended" });
    expect(plan.identities["aws-audit-reader"]).toEqual({ state: "not-installed", message: "install is false" });
    expect(plan.workloads["shop/api"]?.aws?.ready).toBe(false);
  });

  it("holds a permission change as pending", async () => {
    const repo = await installedExample();
    repos.push(repo);
    await suspend(repo);
    const file = path.join(repo, "identities/aws-shop-assets.yaml");
    await writeFile(file, (await readFile(file, "utf8")).replace("s3:PutObject", "s3:DeleteObject"), "utf8");
    const { status } = await readStatusFile(repo, ".wid/status.yaml");

    const plan = planOffline((await loadConfig(repo)).model, status, null);

    expect(plan.changes).toEqual([]);
    expect(plan.pending.map((change) => change.resource)).toContain("role-policy/wid-aws-shop-assets/wid-permissions");
    expect(plan.identities["aws-shop-assets"]).toEqual({
      state: "pending-install",
      message: "the permissions in the file differ from the installed ones, and applying is suspended",
    });
  });
});
