import { mkdtemp, readdir, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { decodeJwt } from "jose";
import { beforeAll, describe, expect, it } from "vitest";

import { loadConfig } from "../../src/config/load.js";
import { formatEnvFile } from "../../src/credentials/files.js";
import { resolveSelections } from "../../src/scope/resolve.js";
import { writeStatusFile } from "../../src/status/file.js";
import { buildWorkloadMapping } from "../../src/status/mapping.js";
import type { StatusFile } from "../../src/status/types.js";
import { runCli } from "../support/cli.js";
import { parseEnvFile } from "./support/child.js";
import { GCP_PROJECT, MOTO_ACCOUNT_ID, writeConfigRepo } from "./support/config-repo.js";

const ROLE_ARN = `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/workload-identity/wid-assets-writer`;

let keys: string;

beforeAll(async () => {
  keys = path.join(await mkdtemp(path.join(tmpdir(), "wid-files-keys-")), "keys.json");
  expect((await runCli(["issuer", "init", "--keys", keys, "--alg", "ES256"])).code).toBe(0);
});

async function credentials(repo: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string; out: string }> {
  const out = path.join(await mkdtemp(path.join(tmpdir(), "wid-files-out-")), "out");
  const result = await runCli(["credentials", repo, "--keys", keys, "--out", out, ...args]);
  return { ...result, out };
}

/** Writes a status file whose mapping gives shop/api only its AWS identity, installed, and shop/worker nothing ready. */
async function writeStatus(repo: string): Promise<void> {
  const { model } = await loadConfig(repo);
  const resolution = resolveSelections(model, { isInstalled: () => true });
  const workloads = buildWorkloadMapping(model, resolution, (name) => ({ ready: name === "assets-writer", createdAt: "2030-01-01T00:00:00.000Z" }));
  const api = workloads["shop/api"];
  if (api !== undefined) delete api.gcp;
  const worker = workloads["shop/worker"]?.aws;
  if (worker !== undefined) worker.ready = false;
  const status: StatusFile = { apiVersion: "wid/v1", kind: "Status", revision: null, integrations: {}, identities: {}, workloads };
  await writeStatusFile(repo, ".wid/status.yaml", status);
}

describe("wid credentials", () => {
  it("writes token and env files per provider", async () => {
    const repo = await writeConfigRepo();
    const result = await credentials(repo, ["--workload", "shop/api"]);
    expect(result.code, result.stderr).toBe(0);

    expect((await readdir(result.out)).sort()).toEqual(["aws.env", "awstoken", "gcp-credentials.json", "gcp.env", "gcptoken"]);
    expect(await readFile(path.join(result.out, "aws.env"), "utf8")).toBe(`AWS_ROLE_ARN=${ROLE_ARN}\nAWS_WEB_IDENTITY_TOKEN_FILE=${path.join(result.out, "awstoken")}\n`);
    expect(parseEnvFile(await readFile(path.join(result.out, "gcp.env"), "utf8"))).toEqual({
      GOOGLE_APPLICATION_CREDENTIALS: path.join(result.out, "gcp-credentials.json"),
      GOOGLE_CLOUD_PROJECT: GCP_PROJECT.projectId,
    });
    expect((await stat(path.join(result.out, "awstoken"))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(result.out, "aws.env"))).mode & 0o777).toBe(0o644);
    expect(decodeJwt(await readFile(path.join(result.out, "gcptoken"), "utf8")).sub).toBe("identity:uploads-writer");

    // Without a status file the mapping comes from the config, and readiness is unknown.
    expect(result.stderr).toContain('"msg":"status file not found; the mapping is computed from the config and cannot tell whether identities are installed"');
    expect(result.stdout).toContain(`shop/api aws assets-writer: ${path.join(result.out, "aws.env")}`);
  });

  it("follows the status file when present", async () => {
    const repo = await writeConfigRepo();
    await writeStatus(repo);

    const api = await credentials(repo, ["--workload", "shop/api"]);
    expect(api.code, api.stderr).toBe(0);
    expect((await readdir(api.out)).sort()).toEqual(["aws.env", "awstoken"]);
    expect(api.stderr).toBe("");

    const worker = await credentials(repo, ["--workload", "shop/worker"]);
    expect(worker.code, worker.stderr).toBe(0);
    expect(worker.stderr).toContain('"identity":"assets-writer","msg":"identity not installed yet; its credentials fail until it is"');
    expect(worker.stdout).toContain("shop/worker aws assets-writer (not installed yet):");
  });

  it("writes every workload into its own folder with --all", async () => {
    const repo = await writeConfigRepo();
    const result = await credentials(repo, ["--all"]);
    expect(result.code, result.stderr).toBe(0);

    expect((await readdir(path.join(result.out, "shop", "api"))).sort()).toEqual(["aws.env", "awstoken", "gcp-credentials.json", "gcp.env", "gcptoken"]);
    expect((await readdir(path.join(result.out, "shop", "worker"))).sort()).toEqual(["aws.env", "awstoken"]);
    const env = parseEnvFile(await readFile(path.join(result.out, "shop", "worker", "aws.env"), "utf8"));
    expect(env.AWS_WEB_IDENTITY_TOKEN_FILE).toBe(path.join(result.out, "shop", "worker", "awstoken"));
    expect(decodeJwt(await readFile(path.join(result.out, "shop", "worker", "awstoken"), "utf8")).wid_workload).toBe("worker");
  });

  it("writes the paths a container sees", async () => {
    const repo = await writeConfigRepo();
    const result = await credentials(repo, ["--workload", "shop/api", "--mount-path", "/", "--gcp-token-path", "/var/run/wid/gcptoken"]);
    expect(result.code, result.stderr).toBe(0);

    expect(parseEnvFile(await readFile(path.join(result.out, "aws.env"), "utf8")).AWS_WEB_IDENTITY_TOKEN_FILE).toBe("/awstoken");
    expect(parseEnvFile(await readFile(path.join(result.out, "gcp.env"), "utf8")).GOOGLE_APPLICATION_CREDENTIALS).toBe("/gcp-credentials.json");
    const config = JSON.parse(await readFile(path.join(result.out, "gcp-credentials.json"), "utf8")) as { credential_source: { file: string }; token_url: string };
    expect(config.credential_source.file).toBe("/var/run/wid/gcptoken");
    expect(config.token_url).toBe("https://sts.googleapis.com/v1/token");
  });

  it("sets the token file mode", async () => {
    const repo = await writeConfigRepo();
    const result = await credentials(repo, ["--workload", "shop/worker", "--file-mode", "640"]);
    expect(result.code, result.stderr).toBe(0);
    expect((await stat(path.join(result.out, "awstoken"))).mode & 0o777).toBe(0o640);
  });

  it("rejects bad requests with the fix", async () => {
    const repo = await writeConfigRepo();
    await writeStatus(repo);
    const cases: [string[], string][] = [
      [["--workload", "shop/apii"], 'workload shop/apii not found in the config; did you mean "shop/api"?'],
      [[], "pass either --workload PROJECT/NAME or --all"],
      [["--workload", "shop/api", "--all"], "pass either --workload PROJECT/NAME or --all"],
      [["--workload", "shop/api", "--file-mode", "200"], "must let the owner read the file"],
    ];
    for (const [args, message] of cases) {
      const result = await credentials(repo, args);
      expect(result.code, message).toBe(1);
      expect(result.stderr).toContain(message);
    }
  });

  it("reports a workload without an identity", async () => {
    const repo = await writeConfigRepo();
    const status: StatusFile = { apiVersion: "wid/v1", kind: "Status", revision: null, integrations: {}, identities: {}, workloads: {} };
    await writeStatusFile(repo, ".wid/status.yaml", status);

    const result = await credentials(repo, ["--workload", "shop/api"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("wid: error: workload shop/api has no identity in the status file; run wid explain --workload shop/api to see why\n");
  });
});

describe("formatEnvFile", () => {
  it("writes unquoted NAME=value lines", () => {
    expect(formatEnvFile({ A: "1", B: "/path with space" })).toBe("A=1\nB=/path with space\n");
  });

  it("rejects a value with a line break", () => {
    expect(() => formatEnvFile({ A: "x\ny" })).toThrow("environment variable A has a line break in its value, which an env file cannot hold");
  });
});
