/**
 * Benchmark of config loading and scope resolution at scale.
 *
 * Generates a config repository of 10,000 identities (one file each, 70% AWS with a
 * small policy, 30% Google Cloud) and 50,000 workloads over 500 projects and 200 tags
 * (one file of 100 workloads per project) in a temporary folder, then measures, in a
 * fresh child process so that generation does not count:
 * - load + validate: `loadConfig`, reading, parsing and checking every document;
 * - resolve: `resolveSelections` over the loaded model;
 * - peak memory: the child's maximum resident set size.
 * Wall-clock and CPU times are printed; on a shared machine CPU time varies less.
 *
 * Run: npx tsx bench/resolve.ts [--identities N] [--workloads N] [--resolve-runs N] [--keep]
 * With --resolve-runs N, resolution is repeated N times in the same process and the CPU
 * time of each run is printed, which shows how much of its time is garbage collection.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { loadConfig } from "../src/config/load.js";
import { resolveSelections } from "../src/scope/resolve.js";

const PROJECTS = 500;
const TAGS = 200;
const WORKLOADS_PER_FILE = 100;

interface BenchOptions {
  identities: number;
  workloads: number;
  resolveRuns: number;
  keep: boolean;
}

/** A small deterministic pseudo-random generator (mulberry32), so every run builds the same repository. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const AWS_GRANTS: readonly { actions: string[]; resource: (n: number) => string }[] = [
  { actions: ["s3:GetObject", "s3:PutObject"], resource: (n) => `arn:aws:s3:::bucket-${n}/*` },
  { actions: ["s3:ListBucket"], resource: (n) => `arn:aws:s3:::bucket-${n}` },
  { actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], resource: (n) => `arn:aws:sqs:eu-west-1:123456789012:queue-${n}` },
  { actions: ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"], resource: (n) => `arn:aws:dynamodb:eu-west-1:123456789012:table/table-${n}` },
  { actions: ["sns:Publish"], resource: (n) => `arn:aws:sns:eu-west-1:123456789012:topic-${n}` },
  { actions: ["kms:Decrypt", "kms:GenerateDataKey"], resource: (n) => `arn:aws:kms:eu-west-1:123456789012:key/key-${n}` },
  { actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resource: (n) => `arn:aws:logs:eu-west-1:123456789012:log-group:group-${n}:*` },
  { actions: ["secretsmanager:GetSecretValue"], resource: (n) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:secret-${n}-*` },
];

const GCP_PERMISSIONS = ["storage.objects.get", "storage.objects.create", "storage.buckets.list", "pubsub.topics.publish", "pubsub.subscriptions.consume", "bigquery.jobs.create", "bigquery.tables.getData"];

function pick<T>(next: () => number, items: readonly T[], count: number): T[] {
  const chosen = new Set<T>();
  while (chosen.size < Math.min(count, items.length)) chosen.add(items[Math.floor(next() * items.length)] as T);
  return [...chosen];
}

const projectName = (index: number): string => `project-${index}`;
const tagName = (index: number): string => `tag-${index}`;
const allProjects = Array.from({ length: PROJECTS }, (_, index) => projectName(index));
const allTags = Array.from({ length: TAGS }, (_, index) => tagName(index));

function identityYaml(index: number, next: () => number): string {
  const name = `id-${String(index).padStart(5, "0")}`;
  const aws = next() < 0.7;
  const scopeRoll = next();
  const projects = scopeRoll < 0.01 ? '"*"' : `[${pick(next, allProjects, 1 + Math.floor(next() * 3)).join(", ")}]`;
  const tags = next() < 0.2 ? "" : `\n    tags: [${pick(next, allTags, 1 + Math.floor(next() * 2)).join(", ")}]`;
  const matchAll = tags !== "" && next() < 0.2 ? "\n    matchAllTags: true" : "";
  const header = [
    "apiVersion: wid/v1",
    "kind: WorkloadIdentity",
    "metadata:",
    `  name: ${name}`,
    `  description: Generated identity ${index}`,
    "spec:",
    `  provider: ${aws ? "aws" : "gcp"}`,
    `  integration: ${aws ? "aws-prod" : "gcp-prod"}`,
    `  install: ${next() < 0.8 ? "true" : "false"}`,
    "  scope:",
    `    projects: ${projects}${tags}${matchAll}`,
  ];
  if (!aws) {
    const permissions = pick(next, GCP_PERMISSIONS, 2 + Math.floor(next() * 3));
    return [...header, "  gcp:", "    permissions:", ...permissions.map((permission) => `      - ${permission}`), ""].join("\n");
  }
  const statements = pick(next, AWS_GRANTS, 1 + Math.floor(next() * 2)).flatMap((grant) => [
    "        - Effect: Allow",
    `          Action: [${grant.actions.join(", ")}]`,
    `          Resource: ${grant.resource(index)}`,
  ]);
  return [...header, "  aws:", "    policy:", '      Version: "2012-10-17"', "      Statement:", ...statements, ""].join("\n");
}

function workloadYaml(index: number, project: string, next: () => number): string {
  const tags = pick(next, allTags, 1 + Math.floor(next() * 4));
  return [
    "apiVersion: wid/v1",
    "kind: Workload",
    `metadata: { name: workload-${index}, project: ${project} }`,
    "spec:",
    `  type: ${next() < 0.8 ? "service" : "job"}`,
    `  tags: [${tags.join(", ")}]`,
  ].join("\n");
}

async function generate(root: string, options: BenchOptions): Promise<void> {
  const next = random(42);
  await mkdir(path.join(root, "identities"), { recursive: true });
  await mkdir(path.join(root, "workloads"), { recursive: true });
  await writeFile(path.join(root, "settings.yaml"), "apiVersion: wid/v1\nkind: Settings\nspec:\n  issuer: https://oidc.example.com\n");
  await writeFile(
    path.join(root, "integrations.yaml"),
    [
      "apiVersion: wid/v1\nkind: Integration\nmetadata: { name: aws-prod }\nspec:\n  provider: aws\n  aws:\n    accountId: \"123456789012\"",
      "apiVersion: wid/v1\nkind: Integration\nmetadata: { name: gcp-prod }\nspec:\n  provider: gcp\n  gcp:\n    projectId: bench-project\n    projectNumber: \"123456789012\"",
    ].join("\n---\n"),
  );

  for (let index = 0; index < options.identities; index++) {
    await writeFile(path.join(root, "identities", `id-${String(index).padStart(5, "0")}.yaml`), identityYaml(index, next));
  }

  // Workloads are spread evenly over the projects, in files of WORKLOADS_PER_FILE.
  const documents: string[][] = [];
  for (let index = 0; index < options.workloads; index++) {
    const project = projectName(index % PROJECTS);
    const file = Math.floor(index / WORKLOADS_PER_FILE);
    (documents[file] ??= []).push(workloadYaml(index, project, next));
  }
  for (const [file, docs] of documents.entries()) {
    await writeFile(path.join(root, "workloads", `workloads-${String(file).padStart(4, "0")}.yaml`), `${docs.join("\n---\n")}\n`);
  }
}

/** Runs in the child: loads, validates and resolves, then prints one JSON line of figures. */
async function measure(root: string, resolveRuns: number): Promise<void> {
  const cpuMs = (since: NodeJS.CpuUsage): number => {
    const used = process.cpuUsage(since);
    return (used.user + used.system) / 1000;
  };

  const loadCpu = process.cpuUsage();
  const loadStart = performance.now();
  const loaded = await loadConfig(root);
  const loadMs = performance.now() - loadStart;
  const loadCpuMs = cpuMs(loadCpu);

  const installed = new Set<string>();
  const resolveCpu = process.cpuUsage();
  const resolveStart = performance.now();
  const resolution = resolveSelections(loaded.model, { isInstalled: (name) => installed.has(name) });
  const resolveMs = performance.now() - resolveStart;
  const resolveCpuMs = cpuMs(resolveCpu);

  const repeatedResolveCpuMs: number[] = [];
  for (let run = 1; run < resolveRuns; run++) {
    const start = process.cpuUsage();
    resolveSelections(loaded.model, { isInstalled: (name) => installed.has(name) });
    repeatedResolveCpuMs.push(cpuMs(start));
  }

  const errors = loaded.diagnostics.filter((diagnostic) => diagnostic.severity === "error");
  console.log(
    JSON.stringify({
      loadMs,
      loadCpuMs,
      resolveMs,
      resolveCpuMs,
      repeatedResolveCpuMs,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      identities: loaded.model.identities.size,
      workloads: loaded.model.workloads.size,
      mappedWorkloads: resolution.workloads.size,
      errors: errors.length,
      firstError: errors[0]?.message ?? null,
      warnings: loaded.diagnostics.length - errors.length,
    }),
  );
}

function parseArguments(argv: readonly string[]): BenchOptions & { measure?: string } {
  const value = (flag: string): string | undefined => {
    const index = argv.indexOf(flag);
    return index === -1 ? undefined : argv[index + 1];
  };
  const measureDir = value("--measure");
  return {
    identities: Number(value("--identities") ?? 10_000),
    workloads: Number(value("--workloads") ?? 50_000),
    resolveRuns: Number(value("--resolve-runs") ?? 1),
    keep: argv.includes("--keep"),
    ...(measureDir !== undefined ? { measure: measureDir } : {}),
  };
}

function runChild(root: string, resolveRuns: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--measure", root, "--resolve-runs", String(resolveRuns)], { stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(output) : reject(new Error(`measurement child exited with ${String(code)}`))));
  });
}

async function main(): Promise<void> {
  const options = parseArguments(process.argv.slice(2));
  if (options.measure !== undefined) {
    await measure(options.measure, options.resolveRuns);
    return;
  }

  const root = await mkdtemp(path.join(os.tmpdir(), "wid-bench-resolve-"));
  try {
    const generateStart = performance.now();
    await generate(root, options);
    console.log(`generated ${options.identities} identities and ${options.workloads} workloads in ${((performance.now() - generateStart) / 1000).toFixed(1)} s`);

    const figures = JSON.parse(await runChild(root, options.resolveRuns)) as Record<string, number | string | number[] | null>;
    const loadMs = Number(figures.loadMs);
    const resolveMs = Number(figures.resolveMs);
    console.log(`identities: ${String(figures.identities)} valid, workloads: ${String(figures.workloads)}, mapped workloads: ${String(figures.mappedWorkloads)}`);
    console.log(`diagnostics: ${String(figures.errors)} error(s), ${String(figures.warnings)} warning(s)${figures.firstError !== null ? `; first error: ${String(figures.firstError)}` : ""}`);
    const cpu = (name: string): string => `${(Number(figures[name]) / 1000).toFixed(2)} s`;
    console.log(`load + validate: ${(loadMs / 1000).toFixed(2)} s (CPU time ${cpu("loadCpuMs")})`);
    console.log(`resolve:         ${(resolveMs / 1000).toFixed(2)} s (CPU time ${cpu("resolveCpuMs")})`);
    console.log(`total:           ${((loadMs + resolveMs) / 1000).toFixed(2)} s`);
    console.log(`peak RSS:        ${(Number(figures.peakRssBytes) / 1024 / 1024).toFixed(0)} MiB`);
    const repeated = Array.isArray(figures.repeatedResolveCpuMs) ? figures.repeatedResolveCpuMs : [];
    if (repeated.length > 0) console.log(`resolve again:   CPU time ${repeated.map((ms) => `${(ms / 1000).toFixed(2)} s`).join(", ")}`);
  } finally {
    if (options.keep) console.log(`kept ${root}`);
    else await rm(root, { recursive: true, force: true });
  }
}

await main();
