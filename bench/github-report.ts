/**
 * Measures the GitHub check's own work, without the network: building the report
 * (annotations, summary, truncation) and the comment parts for plans of 100 to 2,000
 * identities, and verifying webhook signatures.
 *
 * Run: npx tsx bench/github-report.ts
 */

import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";

import { commentBodies } from "../src/github/comment.js";
import { loadAndPlan, offlinePlanner } from "../src/github/planner.js";
import { buildCheckReport } from "../src/github/report.js";
import { signBody, verifySignature } from "../src/github/webhook/signature.js";

const EXAMPLE = path.resolve("examples/config-repo");

function identity(name: string): string {
  return [
    "apiVersion: wid/v1",
    "kind: WorkloadIdentity",
    "metadata:",
    `  name: ${name}`,
    "spec:",
    "  provider: aws",
    "  integration: aws-prod",
    "  install: true",
    "  scope:",
    "    projects: [shop]",
    "  aws:",
    "    policy:",
    '      Version: "2012-10-17"',
    "      Statement:",
    "        - Effect: Allow",
    "          Action: [s3:GetObject, s3:PutObject]",
    `          Resource: arn:aws:s3:::${name}/*`,
    "",
  ].join("\n");
}

function configWith(count: number): string {
  const root = mkdtempSync(path.join(tmpdir(), "wid-bench-github-"));
  mkdirSync(path.join(root, "identities"));
  mkdirSync(path.join(root, "integrations"));
  writeFileSync(path.join(root, "settings.yaml"), readFileSync(path.join(EXAMPLE, "settings.yaml")));
  writeFileSync(path.join(root, "integrations/aws-prod.yaml"), readFileSync(path.join(EXAMPLE, "integrations/aws-prod.yaml")));
  for (let i = 0; i < count; i++) writeFileSync(path.join(root, `identities/aws-bench-${i}.yaml`), identity(`aws-bench-${i}`));
  return root;
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function time(runs: number, work: () => void): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    work();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

console.log("identities | load+plan ms | report ms | comment ms | annotations | summary bytes | truncated | comment parts");
for (const count of [100, 500, 2000]) {
  const root = configWith(count);
  try {
    const start = performance.now();
    const outcome = await loadAndPlan(root, offlinePlanner, null);
    const planMs = performance.now() - start;
    const context = { offlineReason: "benchmark", pathPrefix: "config" };
    const reportMs = time(5, () => buildCheckReport(outcome, context));
    const report = buildCheckReport(outcome, context);
    const commentMs = time(5, () => commentBodies(report.title, report.summaryBlocks));
    const parts = commentBodies(report.title, report.summaryBlocks).length;
    const truncated = report.summary.includes("_Truncated:");
    console.log(
      `${count} | ${planMs.toFixed(0)} | ${reportMs.toFixed(1)} | ${commentMs.toFixed(1)} | ${report.annotations.length} | ${Buffer.byteLength(report.summary)} | ${truncated} | ${parts}`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

for (const size of [25 * 1024, 1024 * 1024]) {
  const body = randomBytes(size);
  const signature = signBody("bench-secret", body);
  const runs = size > 100_000 ? 200 : 5000;
  const start = performance.now();
  for (let i = 0; i < runs; i++) verifySignature("bench-secret", body, signature);
  const perCall = (performance.now() - start) / runs;
  console.log(`verify signature of ${size / 1024} KiB body: ${(perCall * 1000).toFixed(0)} µs per delivery`);
}
