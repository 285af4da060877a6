/** Config repositories and reconcile runs for the Google Cloud tests, against the local fake. */

import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { pino } from "pino";

import type { GcpAdapterOptions } from "../../src/providers/gcp/adapter.js";
import { createGcpAdapter } from "../../src/providers/gcp/adapter.js";
import type { ReconcileResult } from "../../src/reconcile/run.js";
import { reconcile } from "../../src/reconcile/run.js";
import { readStatusFile } from "../../src/status/file.js";
import type { StatusFile } from "../../src/status/types.js";
import type { FakeGcp, FakeProject } from "../support/fake-gcp.js";
import { fakeGcpAuthClient } from "../support/fake-gcp.js";

export const ISSUER = "https://oidc.example.com";

export interface IdentitySpec {
  name: string;
  permissions: string[];
  install?: boolean;
  description?: string;
  integration?: string;
  projects?: string[];
}

export interface IntegrationSpec {
  name: string;
  project: FakeProject;
  poolId?: string;
  providerId?: string;
  uploadJwks?: boolean;
}

export interface RepoSpec {
  integrations: IntegrationSpec[];
  identities: IdentitySpec[];
  prune?: boolean;
}

/** Creates a config repository in a temporary folder: Settings, integrations, identities and two workloads. */
export async function createRepo(spec: RepoSpec): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), "wid-gcp-"));
  await mkdir(path.join(root, "identities"));
  await writeFile(
    path.join(root, "settings.yaml"),
    `apiVersion: wid/v1\nkind: Settings\nspec:\n  issuer: ${ISSUER}\n  prune: ${String(spec.prune ?? false)}\n`,
  );
  for (const integration of spec.integrations) await writeIntegration(root, integration);
  for (const identity of spec.identities) await writeIdentity(root, identity, spec.integrations[0]?.name ?? "");
  await writeFile(
    path.join(root, "workloads.yaml"),
    [
      "apiVersion: wid/v1\nkind: Workload\nmetadata: { name: api, project: shop }\nspec:\n  type: service\n  tags: [web]\n",
      "apiVersion: wid/v1\nkind: Workload\nmetadata: { name: etl, project: analytics }\nspec:\n  type: job\n  tags: [batch]\n",
    ].join("---\n"),
  );
  return root;
}

export async function writeIntegration(root: string, integration: IntegrationSpec): Promise<void> {
  const lines = [
    "apiVersion: wid/v1",
    "kind: Integration",
    `metadata: { name: ${integration.name} }`,
    "spec:",
    "  provider: gcp",
    "  gcp:",
    `    projectId: ${integration.project.projectId}`,
    `    projectNumber: "${integration.project.projectNumber}"`,
    ...(integration.poolId !== undefined ? [`    poolId: ${integration.poolId}`] : []),
    ...(integration.providerId !== undefined ? [`    providerId: ${integration.providerId}`] : []),
    ...(integration.uploadJwks !== undefined ? [`    uploadJwks: ${String(integration.uploadJwks)}`] : []),
  ];
  await writeFile(path.join(root, `integration-${integration.name}.yaml`), `${lines.join("\n")}\n`);
}

export async function writeIdentity(root: string, identity: IdentitySpec, defaultIntegration: string): Promise<void> {
  const lines = [
    "apiVersion: wid/v1",
    "kind: WorkloadIdentity",
    "metadata:",
    `  name: ${identity.name}`,
    ...(identity.description !== undefined ? [`  description: ${JSON.stringify(identity.description)}`] : []),
    "spec:",
    "  provider: gcp",
    `  integration: ${identity.integration ?? defaultIntegration}`,
    `  install: ${String(identity.install ?? true)}`,
    "  scope:",
    `    projects: [${(identity.projects ?? ["shop"]).join(", ")}]`,
    "  gcp:",
    "    permissions:",
    ...identity.permissions.map((permission) => `      - ${permission}`),
  ];
  await writeFile(identityFile(root, identity.name), `${lines.join("\n")}\n`);
}

export function identityFile(root: string, name: string): string {
  return path.join(root, "identities", `${name}.yaml`);
}

export async function removeRepo(root: string): Promise<void> {
  await rm(root, { recursive: true, force: true });
}

/** Runs one reconcile through the Google Cloud adapter only, authenticated to the fake with its fixed token. */
export async function run(fake: FakeGcp, root: string, mode: "plan" | "apply", options: Partial<GcpAdapterOptions> = {}): Promise<ReconcileResult> {
  const adapter = createGcpAdapter({
    environment: { iamEndpoint: fake.endpoint, crmEndpoint: fake.endpoint, operationTimeoutMs: 10_000, requestTimeoutMs: 10_000 },
    auth: fakeGcpAuthClient(),
    initialPollMs: 5,
    policyRetry: { maxAttempts: 5, baseDelayMs: 5 },
    ...options,
  });
  return reconcile({ root, adapters: { gcp: adapter }, logger: pino({ level: "silent" }), mode });
}

/** Reads the status file as wid itself does, checked against its schema. */
export async function readStatus(root: string): Promise<StatusFile> {
  const { status, diagnostics } = await readStatusFile(root, ".wid/status.yaml");
  if (status === undefined) throw new Error(`the status file cannot be read: ${diagnostics.map((diagnostic) => diagnostic.message).join("; ")}`);
  return status;
}

/** Returns the `principal://` member of an identity in a project's pool. */
export function principal(project: FakeProject, identity: string, poolId = "wid-pool"): string {
  return `principal://iam.googleapis.com/projects/${project.projectNumber}/locations/global/workloadIdentityPools/${poolId}/subject/identity:${identity}`;
}

/** Write calls made since the last reset, by Google method ID. */
export function writeCounts(fake: FakeGcp): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const entry of fake.writes()) counts[entry.method] = (counts[entry.method] ?? 0) + 1;
  return counts;
}
