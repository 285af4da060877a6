import { spawn } from "node:child_process";
import { access, appendFile, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import type { JSONWebKeySet } from "jose";
import { compactVerify, createLocalJWKSet, decodeJwt } from "jose";
import { describe, expect, it } from "vitest";

import { CLI, runCli } from "../support/cli.js";
import { writeConfigRepo } from "./support/config-repo.js";

/** Reads `file` in a loop until `until` resolves; records what each read returned. */
async function pollFile(file: string, until: Promise<unknown>): Promise<{ reads: number; problems: string[]; tokens: Set<string> }> {
  let done = false;
  void until.then(() => (done = true));
  const problems: string[] = [];
  const tokens = new Set<string>();
  let reads = 0;
  while (!done) {
    reads += 1;
    try {
      const text = await readFile(file, "utf8");
      if (text === "") problems.push("empty");
      else if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(text)) problems.push(`partial: ${text.length} characters`);
      else tokens.add(text);
    } catch (error) {
      problems.push(`read failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { reads, problems, tokens };
}

describe("credentials --watch", () => {
  it("never shows a missing, empty or partial token file", async () => {
    const repo = await writeConfigRepo();
    const work = await mkdtemp(path.join(tmpdir(), "wid-refresh-"));
    const keys = path.join(work, "keys.json");
    const out = path.join(work, "out");
    expect((await runCli(["issuer", "init", "--keys", keys])).code).toBe(0);
    const published = path.join(work, "published");
    expect((await runCli(["issuer", "publish", repo, "--keys", keys, "--out", published])).code).toBe(0);

    // A one-second lifetime refreshes every 0.8 s, so 12 s cover more than ten refreshes.
    const child = spawn(process.execPath, [CLI, "credentials", repo, "--workload", "shop/api", "--out", out, "--keys", keys, "--watch", "--test-token-lifetime", "1"], {
      env: { PATH: process.env.PATH ?? "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    while (!stderr.includes("token refresh started")) {
      if (child.exitCode !== null) throw new Error(`wid credentials --watch exited: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const window = new Promise((resolve) => setTimeout(resolve, 12_000));
    const [aws, gcp] = await Promise.all([pollFile(path.join(out, "awstoken"), window), pollFile(path.join(out, "gcptoken"), window)]);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);

    for (const result of [aws, gcp]) {
      expect(result.problems).toEqual([]);
      expect(result.tokens.size).toBeGreaterThanOrEqual(10);
      expect(result.reads).toBeGreaterThan(result.tokens.size * 10);
    }

    // Every version the readers saw is a complete token signed by a published key.
    const jwks = createLocalJWKSet(JSON.parse(await readFile(path.join(published, ".well-known", "jwks.json"), "utf8")) as JSONWebKeySet);
    for (const token of [...aws.tokens, ...gcp.tokens]) await compactVerify(token, jwks);
    expect(new Set([...aws.tokens].map((token) => decodeJwt(token).sub))).toEqual(new Set(["identity:assets-writer"]));

    // Each refresh is logged with constant messages and without the token.
    const lines = stderr.trim().split("\n").map((line) => JSON.parse(line) as { msg: string; level: number });
    const refreshed = lines.filter((line) => line.msg === "token file refreshed");
    expect(refreshed.length).toBeGreaterThanOrEqual(aws.tokens.size + gcp.tokens.size - 2);
    expect(lines.filter((line) => line.level >= 50)).toEqual([]);
    expect(lines.at(-1)?.msg).toBe("token refresh stopped");
    for (const token of [...aws.tokens, ...gcp.tokens]) expect(stderr).not.toContain(token.split(".")[2]);
  }, 60_000);

  it("reloads the selection on SIGHUP", async () => {
    const repo = await writeConfigRepo();
    const work = await mkdtemp(path.join(tmpdir(), "wid-reload-"));
    const keys = path.join(work, "keys.json");
    const out = path.join(work, "out");
    expect((await runCli(["issuer", "init", "--keys", keys])).code).toBe(0);

    const child = spawn(process.execPath, [CLI, "credentials", repo, "--all", "--out", out, "--keys", keys, "--watch"], {
      env: { PATH: process.env.PATH ?? "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const logged = async (message: string, times = 1): Promise<void> => {
      while (stderr.split(`"msg":"${message}"`).length - 1 < times) {
        if (child.exitCode !== null) throw new Error(`wid credentials --watch exited: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    await logged("token refresh started");

    // A new workload gets its files at once.
    await appendFile(path.join(repo, "workloads.yaml"), "---\napiVersion: wid/v1\nkind: Workload\nmetadata: { name: cron, project: shop }\nspec: { type: job }\n");
    child.kill("SIGHUP");
    await logged("credentials reloaded");
    await access(path.join(out, "shop", "cron", "awstoken"));

    // A config that cannot be loaded keeps the previous selection running.
    const settings = path.join(repo, "settings.yaml");
    const settingsText = await readFile(settings, "utf8");
    await writeFile(settings, "apiVersion: wid/v1\nkind: Settings\nspec: [\n");
    child.kill("SIGHUP");
    await logged("credentials reload failed; the previous workloads stay in place");
    expect(child.exitCode).toBeNull();

    // A workload that leaves the selection keeps its files, which are no longer refreshed.
    await writeFile(settings, settingsText);
    const workloads = path.join(repo, "workloads.yaml");
    await writeFile(workloads, (await readFile(workloads, "utf8")).replace(/---\napiVersion: wid\/v1\nkind: Workload\nmetadata: \{ name: worker[^]*?(?=---)/, ""));
    child.kill("SIGHUP");
    await logged("credentials reloaded", 2);
    const dropped = stderr
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { msg: string; workload?: string })
      .filter((line) => line.msg === "token file no longer refreshed");
    expect(dropped.map((line) => line.workload)).toEqual(["shop/worker"]);
    await access(path.join(out, "shop", "worker", "awstoken"));

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    const token = await readFile(path.join(out, "shop", "cron", "awstoken"), "utf8");
    expect(stderr).not.toContain(token.split(".")[2]);
  }, 60_000);
});
