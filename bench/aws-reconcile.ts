/**
 * Measures a reconcile of 1,000 AWS identities in one integration against moto, through
 * the counting proxy: the first apply, then a no-op reconcile. Prints wall time and the
 * IAM calls by action, counted on the wire by the proxy, not by wid.
 *
 * Each reconcile runs in this process with fresh adapters, as the daemon runs them.
 * `wid apply` adds the start of a Node process (about half a second) on top.
 *
 * Run: npm run bench:aws   (needs moto_server on the PATH; BENCH_LOG=debug logs the steps)
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { pino } from "pino";

import { createAdapters } from "../src/providers/registry.js";
import { reconcile } from "../src/reconcile/run.js";
import type { ReconcileResult } from "../src/reconcile/run.js";
import { iamTotals, startAwsProxy } from "../test/support/aws-proxy.js";
import { motoEnv, motoInstalled, MOTO_INSTALL_HINT, startMoto } from "../test/support/moto.js";
import { awsIdentity, awsIntegration, SETTINGS, WORKLOAD, writeFiles } from "../test/aws/helpers.js";

const IDENTITIES = 1000;
const TARGETS = { noOpReads: 5, noOpSeconds: 3, writesPerIdentity: 2, writesPerIntegration: 1 };

async function main(): Promise<void> {
  if (!motoInstalled()) throw new Error(`moto_server not found; ${MOTO_INSTALL_HINT}`);
  const moto = await startMoto();
  const proxy = await startAwsProxy({ target: moto.endpoint });
  Object.assign(process.env, motoEnv(proxy.endpoint));
  const repo = await mkdtemp(path.join(tmpdir(), "wid-bench-aws-"));

  try {
    const files: Record<string, string> = { "settings.yaml": SETTINGS, "integrations/aws-prod.yaml": awsIntegration("aws-prod"), "workloads/shop.yaml": WORKLOAD };
    for (let index = 0; index < IDENTITIES; index++) {
      const name = `bench-${String(index).padStart(4, "0")}`;
      files[`identities/${name}.yaml`] = awsIdentity(name, { actions: ["s3:GetObject", "s3:PutObject"], resource: `arn:aws:s3:::bench-bucket/${name}/*` });
    }
    await writeFiles(repo, files);

    const logger = pino({ level: process.env.BENCH_LOG ?? "silent" });
    const run = async (label: string): Promise<{ label: string; seconds: number; result: ReconcileResult; counts: Record<string, number> }> => {
      proxy.resetCounts();
      const started = performance.now();
      const result = await reconcile({ root: repo, adapters: createAdapters(), logger, mode: "apply" });
      const seconds = (performance.now() - started) / 1000;
      return { label, seconds, result, counts: proxy.counts() };
    };

    const first = await run("first apply");
    const noOp = await run("no-op reconcile");
    const repeated = await run("no-op reconcile, repeated");

    console.log(`AWS reconcile: ${IDENTITIES} identities in one integration, moto through the counting proxy`);
    for (const { label, seconds, result, counts } of [first, noOp, repeated]) {
      const totals = iamTotals(counts);
      console.log(`\n${label}: ${seconds.toFixed(2)} s, outcome ${result.outcome}, ${totals.reads} IAM reads, ${totals.writes} IAM writes`);
      for (const [action, count] of Object.entries(counts)) console.log(`  ${action.padEnd(40)} ${count}`);
    }

    const firstWrites = iamTotals(first.counts).writes;
    const allowedWrites = TARGETS.writesPerIdentity * IDENTITIES + TARGETS.writesPerIntegration;
    const noOpTotals = iamTotals(noOp.counts);
    console.log("\ntargets:");
    console.log(`  first apply writes ${firstWrites} <= ${allowedWrites}: ${firstWrites <= allowedWrites ? "met" : "MISSED"}`);
    console.log(`  no-op IAM reads ${noOpTotals.reads} <= ${TARGETS.noOpReads}, writes ${noOpTotals.writes} = 0: ${noOpTotals.reads <= TARGETS.noOpReads && noOpTotals.writes === 0 ? "met" : "MISSED"}`);
    const slowest = Math.max(noOp.seconds, repeated.seconds);
    console.log(`  no-op ${slowest.toFixed(2)} s (slower of two) < ${TARGETS.noOpSeconds} s: ${slowest < TARGETS.noOpSeconds ? "met" : "MISSED"}`);
  } finally {
    await rm(repo, { recursive: true, force: true });
    await proxy.stop();
    await moto.stop();
  }
}

await main();
