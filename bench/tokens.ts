/**
 * Token benchmarks:
 * 1. tokens minted per second with RS256 and ES256 keys, one at a time and 8 at once;
 * 2. CPU time and memory of one `wid credentials --all --watch` process that keeps the
 *    token files of many workloads fresh (default 1,000 workloads with an AWS and a
 *    Google Cloud identity each, so 2,000 token files).
 *
 * The watch process runs with a short test lifetime so that refresh cycles happen
 * within the run. CPU per cycle does not depend on the lifetime, so the figures are
 * also converted to the 1 h default lifetime, where a cycle runs every 48 minutes.
 *
 * Run: npm run bench:tokens [-- --workloads 1000 --lifetime 30 --cycles 2]
 * Linux only: it reads CPU time and memory of the child from /proc.
 */

import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { createKeySet } from "../src/issuer/key-rotation.js";
import { writeKeySetFile } from "../src/issuer/key-file.js";
import type { SigningAlgorithm } from "../src/issuer/key-set.js";
import { StaticKeySetSource } from "../src/issuer/key-source.js";
import { TokenSigner } from "../src/issuer/token.js";

const CLI = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
const CLOCK_TICKS_PER_SECOND = 100;

interface BenchOptions {
  workloads: number;
  lifetime: number;
  cycles: number;
  mintSeconds: number;
}

function readOptions(argv: readonly string[]): BenchOptions {
  const options: BenchOptions = { workloads: 1000, lifetime: 30, cycles: 2, mintSeconds: 3 };
  for (let index = 0; index < argv.length; index += 2) {
    const name = argv[index]?.replace(/^--/, "");
    const value = Number(argv[index + 1]);
    if (name === "workloads" || name === "lifetime" || name === "cycles" || name === "mint-seconds") {
      if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`);
      options[name === "mint-seconds" ? "mintSeconds" : name] = value;
    }
  }
  return options;
}

/** Mints tokens for `seconds` with `concurrency` in flight and returns tokens per second. */
async function mintRate(alg: SigningAlgorithm, seconds: number, concurrency: number): Promise<number> {
  const signer = new TokenSigner(new StaticKeySetSource(await createKeySet(alg, new Date()), "bench"));
  const request = { issuer: "https://oidc.bench.test", identity: "bench", audience: "sts.amazonaws.com", workload: { project: "bench", name: "w" }, lifetimeSeconds: 3600 };
  await signer.mint(request);

  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  let count = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      await signer.mint(request);
      count += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return count / ((performance.now() - started) / 1000);
}

/** Writes a config repository with `count` workloads, each matched by one AWS and one Google Cloud identity. */
async function writeBenchRepo(root: string, count: number): Promise<void> {
  const workloads = Array.from({ length: count }, (_, index) => {
    const project = `project-${String(Math.floor(index / 100)).padStart(2, "0")}`;
    return `apiVersion: wid/v1\nkind: Workload\nmetadata: { name: service-${String(index).padStart(4, "0")}, project: ${project} }\nspec: { type: service }\n`;
  });
  const files: Record<string, string> = {
    "settings.yaml": "apiVersion: wid/v1\nkind: Settings\nspec:\n  issuer: https://oidc.bench.test\n",
    "integrations.yaml": `apiVersion: wid/v1
kind: Integration
metadata: { name: aws-bench }
spec: { provider: aws, aws: { accountId: "123456789012" } }
---
apiVersion: wid/v1
kind: Integration
metadata: { name: gcp-bench }
spec: { provider: gcp, gcp: { projectId: bench-project, projectNumber: "123456789012" } }
`,
    "identities.yaml": `apiVersion: wid/v1
kind: WorkloadIdentity
metadata: { name: aws-all }
spec:
  provider: aws
  integration: aws-bench
  install: true
  scope: { projects: "*" }
  aws: { policy: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: "s3:GetObject", Resource: "*" }] } }
---
apiVersion: wid/v1
kind: WorkloadIdentity
metadata: { name: gcp-all }
spec:
  provider: gcp
  integration: gcp-bench
  install: true
  scope: { projects: "*" }
  gcp: { permissions: [storage.objects.get] }
`,
    "workloads.yaml": workloads.join("---\n"),
  };
  await mkdir(root, { recursive: true });
  for (const [file, content] of Object.entries(files)) await writeFile(path.join(root, file), content, "utf8");
}

interface ProcessSample {
  cpuSeconds: number;
  rssMiB: number;
  peakRssMiB: number;
}

async function sampleProcess(pid: number): Promise<ProcessSample> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
  return { cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND, rssMiB: kib("VmRSS") / 1024, peakRssMiB: kib("VmHWM") / 1024 };
}

interface WatchResult {
  files: number;
  startupSeconds: number;
  startupCpuSeconds: number;
  cpuPerCycleSeconds: number;
  refreshesPerCycle: number;
  rssMiB: number;
  peakRssMiB: number;
  failures: number;
}

/** Runs `wid credentials --all --watch` on the bench repository and measures it. */
async function measureWatch(alg: SigningAlgorithm, options: BenchOptions, work: string): Promise<WatchResult> {
  const repo = path.join(work, `repo-${alg}`);
  const out = path.join(work, `out-${alg}`);
  const keys = path.join(work, `keys-${alg}.json`);
  await writeBenchRepo(repo, options.workloads);
  await writeKeySetFile(keys, await createKeySet(alg, new Date()));

  const started = performance.now();
  const args = [CLI, "credentials", repo, "--all", "--out", out, "--keys", keys, "--watch", "--test-token-lifetime", String(options.lifetime)];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
  const pid = child.pid ?? 0;
  let refreshed = 0;
  let failures = 0;
  let files = 0;
  let startedAt: number | undefined;
  let buffered = "";
  child.stderr.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) {
      if (line.includes('"msg":"token file refreshed"')) refreshed += 1;
      else if (line.includes('"msg":"token file refresh failed"')) failures += 1;
      else if (line.includes('"msg":"token refresh started"')) {
        startedAt = performance.now();
        files = Number(/"files":(\d+)/.exec(line)?.[1] ?? 0);
      }
    }
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  while (startedAt === undefined) {
    if (child.exitCode !== null) throw new Error(`wid credentials exited with ${child.exitCode}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const startup = await sampleProcess(pid);

  // Measure whole cycles: the window starts halfway between the startup writes and the
  // first refresh burst, so it contains exactly `cycles` bursts.
  const cycleMs = options.lifetime * 800;
  const windowStart = startedAt + cycleMs * 0.5;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, windowStart - performance.now())));
  const before = await sampleProcess(pid);
  const refreshedBefore = refreshed;
  await new Promise((resolve) => setTimeout(resolve, cycleMs * options.cycles));
  const after = await sampleProcess(pid);
  const refreshedAfter = refreshed;

  child.kill("SIGTERM");
  await exited;
  await rm(out, { recursive: true, force: true });
  return {
    files,
    startupSeconds: (startedAt - started) / 1000,
    startupCpuSeconds: startup.cpuSeconds,
    cpuPerCycleSeconds: (after.cpuSeconds - before.cpuSeconds) / options.cycles,
    refreshesPerCycle: (refreshedAfter - refreshedBefore) / options.cycles,
    rssMiB: after.rssMiB,
    peakRssMiB: after.peakRssMiB,
    failures,
  };
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  console.log(`machine: ${availableParallelism()} cores, ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}`);

  console.log("\nTokens minted per second (in process, 3,600 s lifetime):");
  for (const alg of ["RS256", "ES256"] as const) {
    const sequential = await mintRate(alg, options.mintSeconds, 1);
    const concurrent = await mintRate(alg, options.mintSeconds, 8);
    console.log(`  ${alg}: ${sequential.toFixed(0)}/s one at a time, ${concurrent.toFixed(0)}/s with 8 in flight`);
  }

  const work = await mkdtemp(path.join(tmpdir(), "wid-bench-tokens-"));
  try {
    console.log(`\nwid credentials --all --watch, ${options.workloads} workloads, test lifetime ${options.lifetime} s, ${options.cycles} cycles measured:`);
    for (const alg of ["RS256", "ES256"] as const) {
      const result = await measureWatch(alg, options, work);
      const defaultCycleSeconds = 3600 * 0.8;
      console.log(`  ${alg}: ${result.files} token files`);
      console.log(`    startup (load config, write every file once): ${result.startupSeconds.toFixed(2)} s wall, ${result.startupCpuSeconds.toFixed(2)} s CPU`);
      console.log(`    per refresh cycle: ${result.refreshesPerCycle.toFixed(0)} files, ${result.cpuPerCycleSeconds.toFixed(2)} s CPU`);
      console.log(`    average CPU at the 1 h default lifetime: ${((result.cpuPerCycleSeconds / defaultCycleSeconds) * 100).toFixed(3)}% of one core`);
      console.log(`    memory: ${result.rssMiB.toFixed(0)} MiB resident, ${result.peakRssMiB.toFixed(0)} MiB peak; refresh failures: ${result.failures}`);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
