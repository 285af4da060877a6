import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { decodeJwt } from "jose";
import { beforeAll, describe, expect, it } from "vitest";

import { loadConfig } from "../../src/config/load.js";
import { permissionsHash } from "../../src/plan/hash.js";
import { resolveSelections } from "../../src/scope/resolve.js";
import { writeStatusFile } from "../../src/status/file.js";
import { buildWorkloadMapping } from "../../src/status/mapping.js";
import type { IdentityStatus, StatusFile } from "../../src/status/types.js";
import { runCli } from "../support/cli.js";
import { MOTO_ACCOUNT_ID, writeConfigRepo } from "./support/config-repo.js";

const CREATED = "2030-01-01T00:00:00.000Z";
const ASSETS_FILE = "identities/assets.yaml";

let keys: string;

beforeAll(async () => {
  keys = path.join(await mkdtemp(path.join(tmpdir(), "wid-broken-keys-")), "keys.json");
  expect((await runCli(["issuer", "init", "--keys", keys, "--alg", "ES256"])).code).toBe(0);
});

/** Writes the status file of a reconcile that installed every identity of `repo`. */
async function writeInstalledStatus(repo: string): Promise<void> {
  const { model } = await loadConfig(repo);
  const resolution = resolveSelections(model, { isInstalled: () => true });
  const workloads = buildWorkloadMapping(model, resolution, () => ({ ready: true, createdAt: CREATED }));
  const identities: Record<string, IdentityStatus> = {};
  for (const identity of model.identities.values()) {
    const hash = permissionsHash(identity);
    identities[identity.name] = {
      provider: identity.provider,
      integration: identity.integration,
      file: identity.source.file,
      state: "installed",
      install: true,
      desiredHash: hash,
      installedHash: hash,
      installedRevision: null,
      createdAt: CREATED,
      workloads: Object.keys(workloads).filter((key) => workloads[key]?.[identity.provider]?.identity === identity.name),
    };
  }
  const status: StatusFile = { apiVersion: "wid/v1", kind: "Status", revision: null, integrations: {}, identities, workloads };
  await writeStatusFile(repo, ".wid/status.yaml", status);
}

/** Replaces the AWS identity's file with YAML that cannot be parsed. */
async function breakYaml(repo: string): Promise<void> {
  await writeFile(path.join(repo, ASSETS_FILE), "apiVersion: wid/v1\nkind: WorkloadIdentity\nmetadata: { name: assets-writer\n");
}

/** Makes the AWS identity's file parse but fail validation. */
async function breakSchema(repo: string): Promise<void> {
  const text = await readFile(path.join(repo, ASSETS_FILE), "utf8");
  await writeFile(path.join(repo, ASSETS_FILE), text.replace("  install: true\n", "  install: true\n  unknownField: 1\n"));
}

describe("identity with a broken file", () => {
  for (const [label, breakFile] of [
    ["unparsable", breakYaml],
    ["invalid", breakSchema],
  ] as const) {
    it(`mints from the status file (${label})`, async () => {
      const repo = await writeConfigRepo();
      await writeInstalledStatus(repo);
      await breakFile(repo);

      const minted = await runCli(["token", repo, "--keys", keys, "--identity", "assets-writer"]);
      expect(minted.code, minted.stderr).toBe(0);
      const claims = decodeJwt(minted.stdout.trim());
      expect(claims.sub).toBe("identity:assets-writer");
      expect(claims.aud).toBe("sts.amazonaws.com");
      expect(minted.stderr).toContain(`"identity":"assets-writer","file":"${ASSETS_FILE}","integration":"aws-test"`);
      expect(minted.stderr).toContain("identity file is invalid or cannot be parsed; the token uses the integration recorded in the status file, run wid validate");

      // wid credentials serves the same identity from the same status file.
      const out = path.join(await mkdtemp(path.join(tmpdir(), "wid-broken-out-")), "out");
      const delivered = await runCli(["credentials", repo, "--keys", keys, "--workload", "shop/worker", "--out", out]);
      expect(delivered.code, delivered.stderr).toBe(0);
      expect(decodeJwt(await readFile(path.join(out, "awstoken"), "utf8")).sub).toBe("identity:assets-writer");
      expect(await readFile(path.join(out, "aws.env"), "utf8")).toContain(`AWS_ROLE_ARN=arn:aws:iam::${MOTO_ACCOUNT_ID}:role/`);
    });
  }

  it("names the unparsable file without a status file", async () => {
    const repo = await writeConfigRepo();
    await breakYaml(repo);

    const result = await runCli(["token", repo, "--keys", keys, "--identity", "assets-writer"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`wid: error: identity assets-writer not found in the config; ${ASSETS_FILE} cannot be parsed and may define it, run wid validate\n`);
  });

  it("names the invalid file without a status file", async () => {
    const repo = await writeConfigRepo();
    await breakSchema(repo);

    const result = await runCli(["token", repo, "--keys", keys, "--identity", "assets-writer"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `wid: error: identity assets-writer: its file ${ASSETS_FILE} is invalid or cannot be parsed, and the status file records no installed identity of that name with a valid integration; run wid validate and fix the file\n`,
    );
  });
});
