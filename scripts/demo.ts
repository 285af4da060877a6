/**
 * Runs wid's main job end to end on this machine: a config repository in git, one
 * `wid reconcile --once`, the status commit it pushes and the workload mapping in it,
 * then a sample workload that writes and reads S3 with the credentials wid gives it.
 *
 *   npm run demo            (keeps nothing; add -- --keep to keep the temporary folder)
 *
 * It builds a bare repository in a temporary folder from examples/config-repo, starts
 * the moto AWS emulator on 127.0.0.1 when `moto_server` is installed, and a local fake
 * of the Google Cloud APIs (test/support/fake-gcp.ts) on 127.0.0.1 for the example's
 * Google Cloud integration, and runs the CLI from source. Without moto it says how to
 * install it and runs offline instead. Nothing listens on or calls another address.
 */

import { execFile, spawn } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { parse } from "yaml";

import type { StatusFile } from "../src/status/types.js";
import { fakeGcpEnv, startFakeGcp } from "../test/support/fake-gcp.js";
import type { FakeGcp } from "../test/support/fake-gcp.js";
import { MOTO_INSTALL_HINT, motoEnv, motoInstalled, startMoto } from "../test/support/moto.js";
import type { MotoServer } from "../test/support/moto.js";

const PROJECT = fileURLToPath(new URL("..", import.meta.url));
const CLI = path.join(PROJECT, "src", "cli", "main.ts");
const EXAMPLE = path.join(PROJECT, "examples", "config-repo");
const STATUS = ".wid/status.yaml";
/** The workload the sample runs as, and the bucket its identity may write. */
const SAMPLE_WORKLOAD = "shop/api";
const SAMPLE_BUCKET = "acme-shop-assets";
/** The Google Cloud project of the example's gcp-prod integration, which the fake serves. */
const EXAMPLE_PROJECT = { projectId: "acme-prod-analytics", projectNumber: "481516234200" };
const GIT_ENV = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmpdir(), LC_ALL: "C" };
/** No Google credentials of this machine and no metadata server probe, unless the fake's are given. */
const NO_GOOGLE = { GOOGLE_APPLICATION_CREDENTIALS: "/nonexistent/wid-demo-uses-no-google-credentials.json", METADATA_SERVER_DETECTION: "none" };

const git = async (args: string[], cwd: string): Promise<string> =>
  (await promisify(execFile)("git", ["-c", "user.name=Platform Team", "-c", "user.email=platform@example.com", ...args], { cwd, env: GIT_ENV })).stdout;

interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `wid ARGS` from source with `env` added to a minimal environment. */
async function wid(args: string[], env: Record<string, string> = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], { cwd: PROJECT, env: { ...GIT_ENV, ...NO_GOOGLE, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

function heading(text: string): void {
  console.log(`\n== ${text}`);
}

/** Prints the daemon's JSON log lines as `message  key=value ...`. */
function printLog(stdout: string): void {
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    const { msg, level, time: _time, name: _name, runId: _runId, revision: _revision, ...fields } = JSON.parse(line) as Record<string, unknown>;
    const details = Object.entries(fields)
      .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
      .join(" ");
    console.log(`  ${String(level).padEnd(5)} ${String(msg)}${details === "" ? "" : `  ${details}`}`);
  }
}

function printMapping(status: StatusFile): void {
  for (const [workload, providers] of Object.entries(status.workloads)) {
    for (const [provider, selection] of Object.entries(providers)) {
      if (selection === undefined) continue;
      const identity = selection.identity ?? "(none)";
      const shadowed = selection.shadowed.length > 0 ? `, shadows ${selection.shadowed.join(", ")}` : "";
      const notInstalled = selection.notInstalled.length > 0 ? `, matches but not installed: ${selection.notInstalled.join(", ")}` : "";
      console.log(`  ${workload.padEnd(28)} ${provider}  ${identity.padEnd(22)} ready=${String(selection.ready)}${shadowed}${notInstalled}`);
      for (const [name, value] of Object.entries(selection.env)) console.log(`  ${"".padEnd(28)}      ${name}=${value}`);
    }
  }
}

/** Reads `KEY=VALUE` lines from every `.env` file under `dir`. */
async function readEnvFiles(dir: string): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true })) {
    if (!entry.endsWith(".env")) continue;
    for (const line of (await readFile(path.join(dir, entry), "utf8")).split("\n")) {
      const match = /^(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
      if (match?.[1] !== undefined) env[match[1]] = (match[2] ?? "").replace(/^"(.*)"$/, "$1");
    }
  }
  return env;
}

/**
 * Runs the last step. `wid issuer init` creates a signing key, and `wid credentials`
 * writes the token file and environment of the sample workload. The workload then writes
 * and reads S3 in moto with no access keys, because the AWS SDK's default chain assumes
 * the role with the token. moto does not check the token's signature; AWS checks it
 * against the JWKS.
 */
async function runSampleWorkload(root: string, moto: MotoServer, configDir: string): Promise<boolean> {
  heading(`Sample workload ${SAMPLE_WORKLOAD}: write and read S3 with the injected credentials`);
  const admin = motoEnv(moto.endpoint);
  // NOTE: the SDK warns that its releases after January 2027 need Node 22; wid runs on Node 20 with a pinned SDK.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const s3 = new S3Client({ endpoint: moto.endpoint, region: admin.AWS_REGION, forcePathStyle: true, credentials: { accessKeyId: admin.AWS_ACCESS_KEY_ID ?? "", secretAccessKey: admin.AWS_SECRET_ACCESS_KEY ?? "" } });
  await s3.send(new CreateBucketCommand({ Bucket: SAMPLE_BUCKET }));
  s3.destroy();

  const keys = path.join(root, "issuer-keys.json");
  const init = await wid(["issuer", "init", "--keys", keys]);
  if (init.code !== 0) return failed("wid issuer init", init);
  console.log(`  wid issuer init --keys ${keys}`);
  const credentialsDir = path.join(root, "credentials");
  const issued = await wid(["credentials", configDir, "--workload", SAMPLE_WORKLOAD, "--out", credentialsDir, "--keys", keys]);
  if (issued.code !== 0) return failed("wid credentials", issued);
  console.log(`  wid credentials --workload ${SAMPLE_WORKLOAD} --out ${credentialsDir}`);
  const written = await readEnvFiles(credentialsDir);
  for (const [name, value] of Object.entries(written)) console.log(`    ${name}=${value}`);

  // The workload gets only the written environment, the endpoint and a region: no access keys.
  const workloadEnv = {
    ...written,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: admin.AWS_REGION ?? "us-east-1",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    DEMO_BUCKET: SAMPLE_BUCKET,
  };
  const workload = await new Promise<CommandResult>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(PROJECT, "scripts", "demo-workload.ts")], { cwd: PROJECT, env: { PATH: GIT_ENV.PATH, ...workloadEnv }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
  console.log(`  ${(workload.stdout + workload.stderr).trim().split("\n").join("\n  ")}`);
  return workload.code === 0;
}

function failed(command: string, result: CommandResult): false {
  console.error(`  ${command} exited with ${result.code}: ${result.stderr.trim()}`);
  return false;
}

async function main(): Promise<number> {
  const keep = process.argv.includes("--keep");
  const root = await mkdtemp(path.join(tmpdir(), "wid-demo-"));
  let moto: MotoServer | undefined;
  let google: FakeGcp | undefined;
  try {
    heading("Config repository");
    const remote = path.join(root, "config.git");
    const seed = path.join(root, "seed");
    await git(["init", "--quiet", "--bare", "--initial-branch=main", remote], root);
    await git(["clone", "--quiet", remote, seed], root);
    await cp(EXAMPLE, seed, { recursive: true });
    await git(["add", "--all"], seed);
    await git(["commit", "--quiet", "--message", "Add the workload identities"], seed);
    await git(["push", "--quiet", "origin", "HEAD:refs/heads/main"], seed);
    console.log(`  ${remote} (bare), branch main, from examples/config-repo`);

    heading("Clouds");
    let cloudEnv: Record<string, string> = {};
    if (motoInstalled()) {
      moto = await startMoto();
      google = await startFakeGcp({ projects: [EXAMPLE_PROJECT] });
      cloudEnv = { ...motoEnv(moto.endpoint), ...(await fakeGcpEnv(google, root)) };
      console.log(`  AWS: the moto emulator on ${moto.endpoint}`);
      console.log(`  Google Cloud: a local fake of IAM and Resource Manager on ${google.endpoint} (test/support/fake-gcp.ts), not Google`);
    } else {
      console.log(`  moto_server not found; ${MOTO_INSTALL_HINT}`);
      console.log("  Running offline instead: the plan is compared with the status file, and nothing is applied.");
      heading("wid plan --offline");
      const plan = await wid(["plan", "--offline", seed]);
      console.log(`  ${plan.stdout.trim().split("\n").join("\n  ")}`);
    }

    heading(moto === undefined ? "wid reconcile --once --offline" : "wid reconcile --once");
    const offline = moto === undefined ? ["--offline"] : [];
    const reconcile = await wid(["reconcile", "--repo", remote, "--work-dir", path.join(root, "work"), "--once", ...offline], cloudEnv);
    printLog(reconcile.stdout);
    if (reconcile.code !== 0) {
      console.error(`  wid reconcile exited with ${reconcile.code}: ${reconcile.stderr.trim()}`);
      return 1;
    }

    heading("Status commit");
    console.log(`  ${(await git(["log", "-1", "--stat", "--format=%h %an%n%n%B", "main"], remote)).trim().split("\n").join("\n  ")}`);

    heading("Workload mapping");
    const statusText = await git(["show", `main:${STATUS}`], remote);
    printMapping(parse(statusText) as StatusFile);

    if (moto === undefined) {
      heading("Sample workload");
      console.log(`  skipped: it needs moto; ${MOTO_INSTALL_HINT}`);
      return 0;
    }
    await git(["pull", "--quiet", "origin", "main"], seed);
    return (await runSampleWorkload(root, moto, seed)) ? 0 : 1;
  } finally {
    await google?.stop();
    await moto?.stop();
    if (keep) console.log(`\nKept ${root}`);
    else await rm(root, { recursive: true, force: true });
  }
}

process.exitCode = await main();
