/**
 * Runs wid's main job end to end on this machine: a config repository in git, one
 * `wid reconcile --once`, the status commit it pushes and the workload mapping in it,
 * then a sample workload that reads S3 with the credentials wid gives it.
 *
 *   npm run demo            (keeps nothing; add -- --keep to keep the temporary folder)
 *
 * It builds a bare repository in a temporary folder from examples/config-repo, starts
 * the moto AWS emulator on 127.0.0.1 when `moto_server` is installed, and runs the CLI
 * from source. Without moto it says how to install it and runs offline instead.
 */

import { execFile, spawn } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { parse } from "yaml";

import { chooseRunner } from "../src/daemon/runners.js";
import type { StatusFile } from "../src/status/types.js";
import { MOTO_INSTALL_HINT, motoEnv, motoInstalled, startMoto } from "../test/support/moto.js";
import type { MotoServer } from "../test/support/moto.js";

const PROJECT = fileURLToPath(new URL("..", import.meta.url));
const CLI = path.join(PROJECT, "src", "cli", "main.ts");
const EXAMPLE = path.join(PROJECT, "examples", "config-repo");
const STATUS = ".wid/status.yaml";
/** The workload the sample runs as, and the bucket its identity may write. */
const SAMPLE_WORKLOAD = "shop/api";
const SAMPLE_BUCKET = "acme-shop-assets";
const GIT_ENV = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmpdir(), LC_ALL: "C" };

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
    const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], { cwd: PROJECT, env: { ...GIT_ENV, ...env }, stdio: ["ignore", "pipe", "pipe"] });
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

/** Returns whether this build has `wid NAME`. */
async function hasCommand(name: string): Promise<boolean> {
  const help = await wid(["--help"]);
  return new RegExp(`^\\s+${name}\\b`, "m").test(help.stdout);
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
 * Runs the last step: `wid credentials` writes the token file and environment of the sample
 * workload, which then writes and reads S3 through moto with no access keys.
 */
async function runSampleWorkload(root: string, moto: MotoServer, configDir: string): Promise<void> {
  heading(`Sample workload ${SAMPLE_WORKLOAD}: read and write S3 with the injected credentials`);
  const ready = (await hasCommand("credentials")) && chooseRunner(false).mode === "cloud";
  if (!ready) {
    console.log("  skipped: this needs `wid credentials` and the AWS runner, which this build does not have yet.");
    return;
  }

  const admin = motoEnv(moto.endpoint);
  const s3 = new S3Client({ endpoint: moto.endpoint, region: admin.AWS_REGION, forcePathStyle: true, credentials: { accessKeyId: admin.AWS_ACCESS_KEY_ID ?? "", secretAccessKey: admin.AWS_SECRET_ACCESS_KEY ?? "" } });
  await s3.send(new CreateBucketCommand({ Bucket: SAMPLE_BUCKET }));
  s3.destroy();

  // TODO: check these flags against `wid issuer` and `wid credentials` once they exist: a
  // signing key in the temporary folder, then the files of one workload from the status file.
  const credentialsDir = path.join(root, "credentials");
  const issued = await wid(["credentials", configDir, "--workload", SAMPLE_WORKLOAD, "--out", credentialsDir], { WID_SIGNING_KEY_FILE: path.join(root, "signing-key.pem") });
  if (issued.code !== 0) {
    console.log(`  wid credentials failed: ${issued.stderr.trim()}`);
    return;
  }

  // The workload gets only the written environment and the endpoint: no access keys.
  const workloadEnv = { ...(await readEnvFiles(credentialsDir)), AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: admin.AWS_REGION ?? "us-east-1", DEMO_BUCKET: SAMPLE_BUCKET };
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
}

async function main(): Promise<number> {
  const keep = process.argv.includes("--keep");
  const root = await mkdtemp(path.join(tmpdir(), "wid-demo-"));
  let moto: MotoServer | undefined;
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

    heading("AWS emulator");
    let cloudEnv: Record<string, string> = {};
    if (motoInstalled()) {
      moto = await startMoto();
      cloudEnv = motoEnv(moto.endpoint);
      console.log(`  moto on ${moto.endpoint}`);
    } else {
      console.log(`  moto_server not found; ${MOTO_INSTALL_HINT}`);
      console.log("  Running offline instead: the plan is compared with the status file, and nothing is applied.");
      const plan = await wid(["plan", "--offline", seed]);
      console.log(`  ${plan.stdout.trim().split("\n").join("\n  ")}`);
    }

    heading("wid reconcile --once");
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

    if (moto !== undefined) {
      await git(["pull", "--quiet", "origin", "main"], seed);
      await runSampleWorkload(root, moto, seed);
    } else {
      heading("Sample workload");
      console.log(`  skipped: it needs moto; ${MOTO_INSTALL_HINT}`);
    }
    return 0;
  } finally {
    await moto?.stop();
    if (keep) console.log(`\nKept ${root}`);
    else await rm(root, { recursive: true, force: true });
  }
}

process.exitCode = await main();
