import { readFile } from "node:fs/promises";
import path from "node:path";

import { parseDuration } from "../config/duration.js";
import { ExpectedError } from "../errors/expected.js";
import { resolveGitAuth } from "../git/auth.js";
import type { GitAuth, GitAuthSource } from "../git/auth.js";
import type { GitIdentity } from "../git/client.js";
import { DEFAULT_PUSH_ATTEMPTS } from "../git/publish.js";
import { parseRepoLocation } from "../git/url.js";
import type { IssuerEnvironment, KeySetSource } from "../issuer/key-source.js";
import { readIssuerEnvironment } from "../issuer/key-source.js";
import type { ListenAddress } from "./http/server.js";
import { LOG_LEVELS } from "../log/logger.js";
import type { LogLevel } from "../log/logger.js";
import type { DaemonGithubApp } from "./server-config.js";
import { readGithubApp, readIssuerKeys, ServerConfigError } from "./server-config.js";
import { systemErrorCode } from "../fs/error-code.js";

/** Defaults of `wid reconcile`, shared by the command's help and the docs. */
export const RECONCILE_DEFAULTS = {
  branch: "main",
  workDir: ".wid-work",
  interval: "5m",
  retryInterval: "1m",
  jitter: "0.1",
  timeout: "10m",
  shutdownTimeout: "30s",
  listen: "127.0.0.1:8080",
  author: "wid <wid@localhost>",
  pushAttempts: String(DEFAULT_PUSH_ATTEMPTS),
} as const;

/** The readiness window is this many intervals: `/readyz` fails when no run finished for that long. */
export const READY_INTERVALS = 3;

/** `wid reconcile` options as commander parses them, all strings. */
export interface ReconcileFlags {
  repo: string;
  branch: string;
  path?: string;
  workDir: string;
  interval: string;
  retryInterval: string;
  jitter: string;
  timeout: string;
  shutdownTimeout: string;
  once?: boolean;
  offline?: boolean;
  suspend?: boolean;
  listen: string;
  webhookSecretFile?: string;
  issuerKeys?: string;
  author: string;
  pushAttempts: string;
  logLevel?: string;
}

/** The environment variables the daemon reads, read once at start. */
export interface DaemonEnvironment {
  /** `WID_GIT_TOKEN`: token or password for an https remote. */
  gitToken: string | undefined;
  /** `WID_GIT_USERNAME`: user name sent with the token. Default `x-access-token`. */
  gitUsername: string | undefined;
  /** `WID_WEBHOOK_SECRET`: the GitHub webhook secret, unless `--webhook-secret-file` is given. */
  webhookSecret: string | undefined;
  /** `WID_LOG_LEVEL`, unless `--log-level` is given. */
  logLevel: string | undefined;
  /** The issuer's key variables, used unless `--issuer-keys` is given. */
  issuer: IssuerEnvironment;
  /** The whole environment, for the git processes and the GitHub App's `WID_GITHUB_APP_` variables. */
  processEnvironment: Readonly<Record<string, string | undefined>>;
}

/** Reads the daemon's environment variables once. Empty values count as unset. */
export function readDaemonEnvironment(env: NodeJS.ProcessEnv): DaemonEnvironment {
  const value = (name: string): string | undefined => (env[name] === undefined || env[name] === "" ? undefined : env[name]);
  return {
    gitToken: value("WID_GIT_TOKEN"),
    gitUsername: value("WID_GIT_USERNAME"),
    webhookSecret: value("WID_WEBHOOK_SECRET"),
    logLevel: value("WID_LOG_LEVEL"),
    issuer: readIssuerEnvironment(env),
    processEnvironment: { ...env },
  };
}

/** The validated settings of one daemon. */
export interface DaemonConfig {
  /** The remote without credentials, as logged and stored in the clone. */
  remote: string;
  branch: string;
  /** Config directory inside the repository, `""` for its root. */
  subdir: string;
  /** Absolute path of the work folder. */
  workDir: string;
  intervalMs: number;
  retryIntervalMs: number;
  jitter: number;
  timeoutMs: number;
  shutdownTimeoutMs: number;
  once: boolean;
  offline: boolean;
  suspend: boolean;
  listen: ListenAddress;
  webhookSecret: string | undefined;
  /** Signing keys whose JWKS and discovery document the HTTP server publishes; undefined with `--once` or without keys. */
  issuerKeys: KeySetSource | undefined;
  /** The GitHub App that plans pull requests; undefined with `--once` or without `WID_GITHUB_APP_` variables. */
  githubApp: DaemonGithubApp | undefined;
  author: GitIdentity;
  pushAttempts: number;
  logLevel: LogLevel;
  auth: GitAuth;
  authSource: GitAuthSource;
  /** The --repo URL held credentials, and WID_GIT_TOKEN was used instead. */
  urlCredentialsIgnored: boolean;
  processEnvironment: Readonly<Record<string, string | undefined>>;
  /** Every secret value, for masking in logs. */
  secrets: string[];
}

/** An invalid option value; the message names the option and what to pass. */
export class DaemonConfigError extends ExpectedError {
  readonly kind = "configuration";

  constructor(message: string) {
    super(message);
    this.name = "DaemonConfigError";
  }
}

/** Validates the flags and environment into a {@link DaemonConfig}. Throws {@link DaemonConfigError}. */
export async function buildDaemonConfig(flags: ReconcileFlags, environment: DaemonEnvironment, cwd: string): Promise<DaemonConfig> {
  const location = parseRepoLocationOption(flags.repo, cwd);
  const { auth, source, urlCredentialsIgnored } = resolveGitAuth(environment, location.credentials);
  const intervalMs = durationOption("--interval", flags.interval, 1);
  const webhookSecret = await webhookSecretOption(flags.webhookSecretFile, environment.webhookSecret, cwd);
  const once = flags.once === true;
  // The issuer and the App are served over HTTP, which a single run does not start.
  const { issuerKeys, githubApp } = once ? { issuerKeys: undefined, githubApp: undefined } : await serverOptions(flags, environment, location.remote, cwd);
  if (githubApp !== undefined && webhookSecret === undefined) {
    throw new DaemonConfigError("the GitHub App needs the webhook secret its deliveries are signed with; set WID_WEBHOOK_SECRET or --webhook-secret-file");
  }

  return {
    remote: location.remote,
    branch: branchOption(flags.branch),
    subdir: subdirOption(flags.path),
    workDir: path.resolve(cwd, flags.workDir),
    intervalMs,
    retryIntervalMs: durationOption("--retry-interval", flags.retryInterval, 1),
    jitter: numberOption("--jitter", flags.jitter, 0, 1),
    timeoutMs: durationOption("--timeout", flags.timeout, 1),
    shutdownTimeoutMs: durationOption("--shutdown-timeout", flags.shutdownTimeout, 0),
    once,
    offline: flags.offline === true,
    suspend: flags.suspend === true,
    listen: listenOption(flags.listen),
    webhookSecret,
    issuerKeys,
    githubApp,
    author: authorOption(flags.author),
    pushAttempts: integerOption("--push-attempts", flags.pushAttempts, 1, 20),
    logLevel: logLevelOption(flags.logLevel ?? environment.logLevel ?? "info"),
    auth,
    authSource: source,
    urlCredentialsIgnored,
    processEnvironment: environment.processEnvironment,
    secrets: [auth.token, location.credentials?.password, location.credentials?.username, webhookSecret, githubApp?.credentials.privateKey, environment.issuer.keys].filter(
      (secret): secret is string => secret !== undefined && secret !== "",
    ),
  };
}

async function serverOptions(flags: ReconcileFlags, environment: DaemonEnvironment, remote: string, cwd: string): Promise<Pick<DaemonConfig, "issuerKeys" | "githubApp">> {
  try {
    return {
      issuerKeys: await readIssuerKeys(flags.issuerKeys, environment.issuer, cwd),
      githubApp: await readGithubApp(environment.processEnvironment, remote),
    };
  } catch (error) {
    if (error instanceof ServerConfigError) throw new DaemonConfigError(error.message);
    throw error;
  }
}

function parseRepoLocationOption(repo: string, cwd: string): ReturnType<typeof parseRepoLocation> {
  try {
    return parseRepoLocation(repo, cwd);
  } catch {
    throw new DaemonConfigError("--repo is not a valid URL or path; pass an https, ssh or file URL, an address such as git@github.com:org/config.git, or a local path");
  }
}

/** Accepts the branch names git accepts, without the forms that need quoting. */
function branchOption(branch: string): string {
  const valid = /^[A-Za-z0-9._/-]+$/.test(branch) && !branch.startsWith("-") && !branch.startsWith("/") && !branch.endsWith("/") && !branch.endsWith(".lock") && !branch.includes("..") && !branch.includes("//");
  if (!valid) throw new DaemonConfigError(`--branch ${branch} is not a valid branch name`);
  return branch;
}

function subdirOption(subdir: string | undefined): string {
  if (subdir === undefined) return "";
  const normalized = path.posix.normalize(subdir.replaceAll("\\", "/")).replace(/\/+$/, "");
  if (normalized === "." || normalized === "") return "";
  if (path.posix.isAbsolute(normalized) || normalized === ".." || normalized.startsWith("../")) {
    throw new DaemonConfigError(`--path ${subdir} must be a folder inside the repository, relative to its root, such as config/identities`);
  }
  return normalized;
}

function durationOption(option: string, text: string, minSeconds: number): number {
  const seconds = parseDuration(text);
  if (seconds === undefined) throw new DaemonConfigError(`${option} ${text} is not a duration; write it as 30s, 5m, 1h or 1h30m`);
  if (seconds < minSeconds) throw new DaemonConfigError(`${option} must be at least ${minSeconds}s`);
  return seconds * 1000;
}

function numberOption(option: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < min || value > max) throw new DaemonConfigError(`${option} ${text} must be a number from ${min} to ${max}`);
  return value;
}

function integerOption(option: string, text: string, min: number, max: number): number {
  const value = numberOption(option, text, min, max);
  if (!Number.isInteger(value)) throw new DaemonConfigError(`${option} ${text} must be a whole number from ${min} to ${max}`);
  return value;
}

/** Parses `HOST:PORT`, `[IPV6]:PORT` or `:PORT` (loopback). */
export function listenOption(text: string): ListenAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]*)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (match === null || port > 65_535) throw new DaemonConfigError(`--listen ${text} must be HOST:PORT, such as 127.0.0.1:8080 or [::1]:8080`);
  const host = match[1] ?? (match[2] === "" || match[2] === undefined ? "127.0.0.1" : match[2]);
  return { host, port };
}

function authorOption(text: string): GitIdentity {
  const match = /^\s*([^<>]*[^<>\s])\s*<([^<>\s]+)>\s*$/.exec(text);
  if (match === null) throw new DaemonConfigError(`--author ${text} must be "NAME <EMAIL>", such as "wid <wid@example.com>"`);
  return { name: match[1] ?? "", email: match[2] ?? "" };
}

function logLevelOption(text: string): LogLevel {
  const level = LOG_LEVELS.find((candidate) => candidate === text);
  if (level === undefined) throw new DaemonConfigError(`log level ${text} must be one of ${LOG_LEVELS.join(", ")}`);
  return level;
}

async function webhookSecretOption(file: string | undefined, fromEnvironment: string | undefined, cwd: string): Promise<string | undefined> {
  if (file === undefined) return fromEnvironment;
  let text: string;
  try {
    text = await readFile(path.resolve(cwd, file), "utf8");
  } catch (error) {
    throw new DaemonConfigError(`--webhook-secret-file ${file} cannot be read (${systemErrorCode(error) ?? "error"}); pass a readable file`);
  }
  // Files written by editors and secret stores often end with a newline that is not part of the secret.
  const secret = text.replace(/\r?\n$/, "");
  if (secret === "") throw new DaemonConfigError(`--webhook-secret-file ${file} is empty; write the webhook secret into it`);
  return secret;
}
