import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";

import { runOffline } from "../../src/daemon/reconcile-runner.js";
import type { RunnerResult } from "../../src/daemon/runner.js";
import type { StatusFile } from "../../src/status/types.js";
import { EXAMPLE_CONFIG } from "../git/fixture.js";
import { captureLogger, parseStatus } from "./harness.js";

const STATUS = ".wid/status.yaml";
const dirs: string[] = [];

afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function exampleCopy(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "wid-offline-"));
  dirs.push(dir);
  await cp(EXAMPLE_CONFIG, dir, { recursive: true });
  return dir;
}

async function run(dir: string, options: { suspend?: boolean; revision?: string } = {}): Promise<{ result: RunnerResult; status: StatusFile }> {
  const result = await runOffline({ configDir: dir, revision: options.revision ?? "rev-1", signal: new AbortController().signal, logger: captureLogger().logger, ...(options.suspend !== undefined ? { suspend: options.suspend } : {}) });
  return { result, status: parseStatus(await readFile(path.join(dir, STATUS), "utf8")) };
}

/** Rewrites the status file as if an apply had installed `identities` and every integration's provider. */
async function markInstalled(dir: string, identities: string[]): Promise<void> {
  const status = parseStatus(await readFile(path.join(dir, STATUS), "utf8"));
  for (const name of identities) {
    const identity = status.identities[name];
    if (identity === undefined) throw new Error(`no identity ${name}`);
    Object.assign(identity, { state: "installed", installedHash: identity.desiredHash, installedRevision: "rev-0", createdAt: "2026-01-02T03:04:05Z" });
    delete identity.message;
  }
  for (const integration of Object.values(status.integrations)) Object.assign(integration, { state: "installed", installed: true, oidcProvider: "arn:aws:iam::123456789012:oidc-provider/oidc.example.com" });
  await writeFile(path.join(dir, STATUS), stringify(status), "utf8");
}

describe("runOffline", () => {
  it("reports pending changes without applying", async () => {
    const dir = await exampleCopy();

    const { result, status } = await run(dir);

    expect(result.outcome).toBe("success");
    expect(result.statusFile).toBe(STATUS);
    expect(result.statusChanged).toBe(true);
    expect(result.counts).toEqual({ created: 0, updated: 0, deleted: 0, failed: 0, pending: 2, notApplied: 15 });
    expect(result.identities).toEqual({ "pending-install": 6, "not-installed": 1 });
    expect(status.identities["aws-shop-assets"]?.message).toContain("not applied because the run is offline");
    expect(status.workloads["shop/api"]?.aws?.ready).toBe(false);
  });

  it("writes nothing new on a second run", async () => {
    const dir = await exampleCopy();
    await run(dir);

    const { result } = await run(dir);

    expect(result.statusChanged).toBe(false);
  });

  it("keeps installed identities installed and ready", async () => {
    const dir = await exampleCopy();
    await run(dir);
    await markInstalled(dir, ["aws-shop-assets"]);

    const { status } = await run(dir);

    expect(status.identities["aws-shop-assets"]).toMatchObject({ state: "installed", installedRevision: "rev-0", createdAt: "2026-01-02T03:04:05Z" });
    expect(status.workloads["shop/api"]?.aws?.ready).toBe(true);
    expect(status.workloads["shop/api"]?.aws?.createdAt).toBe("2026-01-02T03:04:05Z");
    expect(status.integrations["aws-prod"]?.installed).toBe(true);
  });

  it("holds a permission change as pending", async () => {
    const dir = await exampleCopy();
    await run(dir);
    await markInstalled(dir, ["aws-shop-assets"]);
    const file = path.join(dir, "identities/aws-shop-assets.yaml");
    await writeFile(file, (await readFile(file, "utf8")).replace("Action: [s3:GetObject, s3:PutObject]", "Action: [s3:GetObject]"), "utf8");

    const { status } = await run(dir);

    const identity = status.identities["aws-shop-assets"];
    expect(identity?.state).toBe("pending-install");
    expect(identity?.message).toContain("differ from the installed ones");
    expect(identity?.installedHash).not.toBe(identity?.desiredHash);
    // The old permissions are still installed, so the credentials keep working.
    expect(status.workloads["shop/api"]?.aws?.ready).toBe(true);
  });

  it("reports a removed installed identity as orphaned", async () => {
    const dir = await exampleCopy();
    await run(dir);
    await markInstalled(dir, ["aws-shop-readonly"]);
    await rm(path.join(dir, "identities/aws-shop-readonly.yaml"));

    const { status, result } = await run(dir);

    expect(status.identities["aws-shop-readonly"]).toMatchObject({ state: "orphaned", file: null, desiredHash: null, workloads: [] });
    expect(result.counts.deleted).toBe(0);
  });

  it("waits for an apply to prune", async () => {
    const dir = await exampleCopy();
    const settings = path.join(dir, "settings.yaml");
    await writeFile(settings, (await readFile(settings, "utf8")).replace("prune: false", "prune: true"), "utf8");
    await run(dir);
    await markInstalled(dir, ["aws-shop-readonly"]);
    await rm(path.join(dir, "identities/aws-shop-readonly.yaml"));

    const { status } = await run(dir);

    expect(status.identities["aws-shop-readonly"]?.state).toBe("orphaned");
    expect(status.identities["aws-shop-readonly"]?.message).toContain("prune is on, but its resources are not deleted yet");
  });

  it("keeps an invalid integration's provider", async () => {
    const dir = await exampleCopy();
    await run(dir);
    await markInstalled(dir, ["aws-shop-assets"]);
    const file = path.join(dir, "integrations/aws-prod.yaml");
    await writeFile(file, (await readFile(file, "utf8")).replace('accountId: "123456789012"', "accountId: 123"), "utf8");

    const { status } = await run(dir);

    expect(status.integrations["aws-prod"]).toMatchObject({ state: "invalid", installed: true, oidcProvider: "arn:aws:iam::123456789012:oidc-provider/oidc.example.com" });
  });

  it("says why when suspended", async () => {
    const dir = await exampleCopy();

    const { result, status } = await run(dir, { suspend: true });

    expect(result.suspended).toBe(true);
    expect(status.identities["aws-queue-consumer"]?.message).toContain("applying is suspended");
  });

  it("stops before writing when aborted", async () => {
    const dir = await exampleCopy();
    const controller = new AbortController();
    controller.abort(new Error("shutdown requested"));

    const running = runOffline({ configDir: dir, revision: "rev-1", signal: controller.signal, logger: captureLogger().logger });

    await expect(running).rejects.toThrow("shutdown requested");
    await expect(readFile(path.join(dir, STATUS), "utf8")).rejects.toThrow();
  });
});
