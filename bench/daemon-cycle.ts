/**
 * Times one no-op daemon cycle (fetch and reset, load, observe and plan, apply, build and
 * write the status, commit check) for the example repository and for a generated
 * repository of 1,000 identities, against a bare repository in a temporary folder.
 *
 *   npx tsx bench/daemon-cycle.ts [--runs N] [--identities N] [--offline]
 *
 * The runner is the daemon's cloud runner. The benchmark starts moto on 127.0.0.1, with
 * the counting proxy of test/support/aws-proxy.ts in front of it. The example's Google
 * Cloud integration runs against the local fake of Google Cloud. moto is cleared between
 * the two cases. `--offline` times the offline runner instead, which calls no cloud. Each case
 * runs one cycle that applies everything and commits the status, then N no-op cycles,
 * and prints the median and maximum of each stage and the IAM calls of one no-op cycle.
 */

import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { runCycle } from "../src/daemon/cycle.js";
import type { RunTimings } from "../src/daemon/cycle.js";
import { createLogger } from "../src/log/logger.js";
import { chooseRunner } from "../src/daemon/runners.js";
import type { RunnerChoice } from "../src/daemon/runners.js";
import { WorkFolder } from "../src/git/work-folder.js";
import { createAdapters } from "../src/providers/registry.js";
import type { AwsProxy } from "../test/support/aws-proxy.js";
import { iamTotals, startAwsProxy } from "../test/support/aws-proxy.js";
import { fakeGcpEnv, startFakeGcp } from "../test/support/fake-gcp.js";
import type { FakeGcp } from "../test/support/fake-gcp.js";
import { motoEnv, startMoto } from "../test/support/moto.js";
import type { MotoServer } from "../test/support/moto.js";

const run = promisify(execFile);
const EXAMPLE = fileURLToPath(new URL("../examples/config-repo", import.meta.url));
const GIT_ENV = { PATH: process.env.PATH ?? "", HOME: tmpdir(), GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", LC_ALL: "C" };

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  const value = index === -1 ? undefined : Number(process.argv[index + 1]);
  return value === undefined || !Number.isInteger(value) || value < 1 ? fallback : value;
}

async function git(args: string[], cwd: string): Promise<void> {
  await run("git", args, { cwd, env: { ...GIT_ENV, GIT_AUTHOR_NAME: "bench", GIT_AUTHOR_EMAIL: "bench@example.com", GIT_COMMITTER_NAME: "bench", GIT_COMMITTER_EMAIL: "bench@example.com" } });
}

/** Writes a config repository with `count` AWS identities and 200 workloads in 20 projects. */
async function writeGeneratedConfig(dir: string, count: number): Promise<void> {
  await mkdir(path.join(dir, "identities"), { recursive: true });
  await mkdir(path.join(dir, "workloads"), { recursive: true });
  await writeFile(path.join(dir, "settings.yaml"), "apiVersion: wid/v1\nkind: Settings\nspec:\n  issuer: https://oidc.example.com\n", "utf8");
  await writeFile(path.join(dir, "integration.yaml"), 'apiVersion: wid/v1\nkind: Integration\nmetadata: { name: aws-main }\nspec:\n  provider: aws\n  aws: { accountId: "123456789012" }\n', "utf8");
  for (let i = 0; i < count; i++) {
    const name = `svc-${String(i).padStart(4, "0")}`;
    const text = [
      "apiVersion: wid/v1",
      "kind: WorkloadIdentity",
      `metadata: { name: ${name} }`,
      "spec:",
      "  provider: aws",
      "  integration: aws-main",
      `  install: ${i % 10 !== 0}`,
      `  scope: { projects: [project-${i % 20}], tags: [tag-${i % 50}] }`,
      "  aws:",
      "    policy:",
      '      Version: "2012-10-17"',
      "      Statement:",
      "        - Effect: Allow",
      "          Action: [s3:GetObject, s3:PutObject]",
      `          Resource: arn:aws:s3:::bucket-${i}/*`,
      "",
    ].join("\n");
    await writeFile(path.join(dir, "identities", `${name}.yaml`), text, "utf8");
  }
  const workloads: string[] = [];
  for (let i = 0; i < 200; i++) {
    workloads.push(`apiVersion: wid/v1\nkind: Workload\nmetadata: { name: app-${i}, project: project-${i % 20} }\nspec: { type: service, tags: [tag-${i % 50}] }\n`);
  }
  await writeFile(path.join(dir, "workloads", "all.yaml"), workloads.join("---\n"), "utf8");
}

interface CaseResult {
  name: string;
  first: RunTimings;
  noop: RunTimings[];
  /** IAM calls of the last no-op cycle, counted at the proxy. */
  noopIam: { reads: number; writes: number } | null;
}

/** The clouds of the cloud runner, all on 127.0.0.1. */
interface Clouds {
  moto: MotoServer;
  proxy: AwsProxy;
  google: FakeGcp;
}

async function benchCase(name: string, prepare: (dir: string) => Promise<void>, runs: number, { runner, mode }: RunnerChoice, clouds: Clouds | undefined): Promise<CaseResult> {
  const root = await mkdtemp(path.join(tmpdir(), "wid-bench-"));
  try {
    const remote = path.join(root, "remote.git");
    const seed = path.join(root, "seed");
    await git(["init", "--quiet", "--bare", "--initial-branch=main", remote], root);
    await git(["init", "--quiet", "--initial-branch=main", seed], root);
    await prepare(seed);
    await git(["add", "--all"], seed);
    await git(["commit", "--quiet", "--message", "Add config"], seed);
    await git(["push", "--quiet", remote, "HEAD:refs/heads/main"], seed);

    const logger = createLogger({ level: "silent", secrets: [] });
    const folder = await WorkFolder.open({ dir: path.join(root, "work"), remote, branch: "main", subdir: "", git: { auth: { token: undefined, username: "x-access-token" }, environment: GIT_ENV, author: { name: "wid", email: "wid@example.com" } }, logger });
    const context = { workFolder: folder, runner, mode, logger, suspend: false, pushAttempts: 5, timeoutMs: 600_000 };
    const signals = { stop: new AbortController().signal, kill: new AbortController().signal };
    try {
      const first = await runCycle(context, "startup", signals);
      if (first.outcome !== "success" || first.statusCommit === null) throw new Error(`the first cycle of ${name} did not commit a status: ${first.error ?? first.result?.reason ?? first.outcome}`);
      const noop: RunTimings[] = [];
      for (let i = 0; i < runs; i++) {
        clouds?.proxy.resetCounts();
        const report = await runCycle(context, "schedule", signals);
        if (report.statusCommit !== null) throw new Error(`a no-op cycle of ${name} committed ${report.statusCommit}`);
        const counts = report.result?.counts;
        if (counts !== undefined && counts.created + counts.updated + counts.deleted > 0) throw new Error(`a no-op cycle of ${name} changed the cloud`);
        noop.push(report.timings);
      }
      return { name, first: first.timings, noop, noopIam: clouds === undefined ? null : iamTotals(clouds.proxy.counts()) };
    } finally {
      await folder.close();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function format(ms: number): string {
  return `${ms.toFixed(0).padStart(6)} ms`;
}

async function startClouds(dir: string): Promise<Clouds> {
  const moto = await startMoto();
  const proxy = await startAwsProxy({ target: moto.endpoint });
  const google = await startFakeGcp({ projects: [{ projectId: "acme-prod-analytics", projectNumber: "481516234200" }] });
  // The adapters read these once, when createAdapters() runs below.
  Object.assign(process.env, motoEnv(proxy.endpoint), await fakeGcpEnv(google, dir), { METADATA_SERVER_DETECTION: "none" });
  return { moto, proxy, google };
}

async function stopClouds(clouds: Clouds | undefined): Promise<void> {
  await clouds?.google.stop();
  await clouds?.proxy.stop();
  await clouds?.moto.stop();
}

const runs = option("--runs", 5);
const identities = option("--identities", 1000);
const offline = process.argv.includes("--offline");
const scratch = await mkdtemp(path.join(tmpdir(), "wid-bench-clouds-"));
let clouds: Clouds | undefined;
let results: CaseResult[];
try {
  if (!offline) clouds = await startClouds(scratch);
  const choice = chooseRunner(offline, offline ? {} : createAdapters());
  console.log(`daemon cycle, ${choice.mode} runner${clouds !== undefined ? ` against moto at ${clouds.moto.endpoint} and the fake of Google Cloud` : ""}, ${runs} no-op runs per case, Node ${process.version}, ${cpus().length} cores`);
  const example = await benchCase("example repository", (dir) => cp(EXAMPLE, dir, { recursive: true }), runs, choice, clouds);
  await clouds?.moto.reset();
  const generated = await benchCase(`${identities} identities`, (dir) => writeGeneratedConfig(dir, identities), runs, choice, clouds);
  results = [example, generated];
} finally {
  await stopClouds(clouds);
  await rm(scratch, { recursive: true, force: true });
}

const stages: (keyof RunTimings)[] = ["gitMs", "planMs", "applyMs", "statusMs", "totalMs"];
console.log(`\n${"case".padEnd(22)}${"".padEnd(10)}${stages.map((stage) => stage.replace("Ms", "").padStart(10)).join("")}`);
for (const result of results) {
  console.log(`${result.name.padEnd(22)}${"first".padEnd(10)}${stages.map((stage) => format(result.first[stage])).join("")}`);
  console.log(`${"".padEnd(22)}${"no-op med".padEnd(10)}${stages.map((stage) => format(median(result.noop.map((timings) => timings[stage])))).join("")}`);
  console.log(`${"".padEnd(22)}${"no-op max".padEnd(10)}${stages.map((stage) => format(Math.max(...result.noop.map((timings) => timings[stage])))).join("")}`);
}
for (const result of results) {
  if (result.noopIam !== null) console.log(`${result.name}: IAM calls in one no-op cycle: ${result.noopIam.reads} reads, ${result.noopIam.writes} writes`);
}
