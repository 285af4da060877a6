import { cp, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { loadConfig } from "../../src/config/load.js";
import type { ConfigModel } from "../../src/config/model.js";
import { permissionsHash } from "../../src/plan/hash.js";
import { planOffline } from "../../src/plan/offline.js";
import { writeStatusFile } from "../../src/status/file.js";
import type { StatusFile } from "../../src/status/types.js";

/** The example config repository. */
export const EXAMPLE = path.resolve(import.meta.dirname, "../../examples/config-repo");

/**
 * Copies the example repository into a new temp folder and writes a status file in
 * which every identity is installed as written, with the mapping that the offline plan
 * computes for it. Returns the folder, which the caller removes.
 */
export async function installedExample(): Promise<string> {
  const repo = await mkdtemp(path.join(tmpdir(), "wid-installed-"));
  await cp(EXAMPLE, repo, { recursive: true });

  const { model } = await loadConfig(repo);
  const installed: StatusFile = { apiVersion: "wid/v1", kind: "Status", revision: null, integrations: {}, identities: installedIdentities(model), workloads: {} };
  for (const [name, integration] of model.integrations) {
    installed.integrations[name] = { provider: integration.provider, state: "installed", installed: true, oidcProvider: `provider-of-${name}` };
  }
  installed.workloads = planOffline(model, installed, null).workloads;
  await writeStatusFile(repo, ".wid/status.yaml", installed);
  return repo;
}

/** Returns status entries that record every valid identity of `model` as installed as written. */
export function installedIdentities(model: ConfigModel): StatusFile["identities"] {
  const identities: StatusFile["identities"] = {};
  for (const identity of model.identities.values()) {
    const hash = permissionsHash(identity);
    identities[identity.name] = {
      provider: identity.provider,
      integration: identity.integration,
      file: identity.source.file,
      state: "installed",
      install: identity.install,
      desiredHash: hash,
      installedHash: hash,
      installedRevision: null,
      createdAt: "2026-01-01T00:00:00.000Z",
      workloads: [],
    };
  }
  return identities;
}
