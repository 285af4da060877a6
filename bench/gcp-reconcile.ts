/**
 * Benchmark of Google Cloud reconciles against the local fake (test/support/fake-gcp.ts).
 *
 * For each identity count, builds a config repository with one Google Cloud integration
 * and that many identities (install: true), then runs in process, through the same
 * `reconcile` pipeline as `wid apply`:
 * - the first install into an empty project;
 * - a no-op reconcile with a fresh adapter, as a `wid apply` process does;
 * - a no-op reconcile with the same adapter again, as the daemon does (its permission
 *   catalog is cached for an hour).
 * API calls are counted by method at the fake, not by wid. The fake's permission catalog
 * is padded to 10,000 permissions so that its pagination shows, as with a real project.
 * Wall time includes the fake's 10 ms operation delay and wid's polling.
 *
 * Run: npx tsx bench/gcp-reconcile.ts [--identities 30,100,300]
 */
import { pino } from "pino";

import { createGcpAdapter } from "../src/providers/gcp/adapter.js";
import type { CloudAdapter } from "../src/providers/types.js";
import { reconcile } from "../src/reconcile/run.js";
import { createRepo, removeRepo } from "../test/gcp/helpers.js";
import type { CatalogPermission, FakeGcp } from "../test/support/fake-gcp.js";
import { DEFAULT_CATALOG, fakeGcpAuthClient, startFakeGcp } from "../test/support/fake-gcp.js";

const PROJECT = { projectId: "wid-bench-project", projectNumber: "400000000004" };
const CATALOG_SIZE = 10_000;
const PERMISSIONS = ["storage.objects.get", "storage.objects.list", "storage.objects.create", "pubsub.topics.publish", "bigquery.jobs.create", "logging.logEntries.create"];

interface Measurement {
  label: string;
  ms: number;
  calls: Record<string, number>;
  outcome: string;
}

async function main(): Promise<void> {
  const counts = parseCounts(process.argv.slice(2));
  const catalog: CatalogPermission[] = [...DEFAULT_CATALOG];
  for (let index = catalog.length; index < CATALOG_SIZE; index++) catalog.push({ name: `bench.resource${index}.get`, level: "SUPPORTED" });

  const rows: { identities: number; measurements: Measurement[] }[] = [];
  for (const identities of counts) rows.push({ identities, measurements: await measure(identities, catalog) });

  const methods = [...new Set(rows.flatMap((row) => row.measurements.flatMap((measurement) => Object.keys(measurement.calls))))].sort();
  for (const row of rows) {
    console.log(`\n${row.identities} identities`);
    console.log(["method", ...row.measurements.map((measurement) => measurement.label)].join("\t"));
    for (const method of methods) console.log([method, ...row.measurements.map((measurement) => String(measurement.calls[method] ?? 0))].join("\t"));
    console.log(["total calls", ...row.measurements.map((measurement) => String(total(measurement.calls)))].join("\t"));
    console.log(["wall time (ms)", ...row.measurements.map((measurement) => String(Math.round(measurement.ms)))].join("\t"));
    console.log(["outcome", ...row.measurements.map((measurement) => measurement.outcome)].join("\t"));
  }
}

async function measure(identities: number, catalog: readonly CatalogPermission[]): Promise<Measurement[]> {
  const fake = await startFakeGcp({ projects: [PROJECT], catalog });
  const repo = await createRepo({
    integrations: [{ name: "gcp-bench", project: PROJECT }],
    identities: Array.from({ length: identities }, (_, index) => ({
      name: `identity-${String(index).padStart(4, "0")}`,
      permissions: PERMISSIONS.slice(0, 1 + (index % PERMISSIONS.length)),
    })),
  });
  try {
    const daemonAdapter = adapter(fake);
    return [
      await timed(fake, "first install", repo, daemonAdapter),
      await timed(fake, "no-op, new process", repo, adapter(fake)),
      await timed(fake, "no-op, daemon", repo, daemonAdapter),
    ];
  } finally {
    await removeRepo(repo);
    await fake.stop();
  }
}

function adapter(fake: FakeGcp): CloudAdapter<"gcp"> {
  return createGcpAdapter({ environment: { iamEndpoint: fake.endpoint, crmEndpoint: fake.endpoint, operationTimeoutMs: 60_000, requestTimeoutMs: 60_000 }, auth: fakeGcpAuthClient() });
}

async function timed(fake: FakeGcp, label: string, root: string, gcp: CloudAdapter<"gcp">): Promise<Measurement> {
  fake.resetCalls();
  const started = performance.now();
  const result = await reconcile({ root, adapters: { gcp }, logger: pino({ level: "silent" }), mode: "apply" });
  const ms = performance.now() - started;
  const failed = result.report?.summary.failed ?? 0;
  return { label, ms, calls: fake.calls(), outcome: `${result.outcome}${failed > 0 ? ` (${failed} failed)` : ""}` };
}

function total(calls: Record<string, number>): number {
  return Object.values(calls).reduce((sum, count) => sum + count, 0);
}

function parseCounts(args: readonly string[]): number[] {
  const index = args.indexOf("--identities");
  const text = index >= 0 ? (args[index + 1] ?? "") : "30,100,300";
  const counts = text.split(",").map(Number);
  if (counts.some((count) => !Number.isInteger(count) || count < 1 || count > 300)) {
    throw new Error(`--identities takes a comma-separated list of counts from 1 to 300, the custom role quota; received ${JSON.stringify(text)}`);
  }
  return counts;
}

await main();
