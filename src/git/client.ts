import { simpleGit } from "simple-git";
import type { SimpleGit } from "simple-git";

import type { GitAuth } from "./auth.js";

/** Name and e-mail address that wid's status commits are authored and committed with. */
export interface GitIdentity {
  name: string;
  email: string;
}

/** The environment of the process that runs wid, as read once at start. */
export type GitEnvironment = Readonly<Record<string, string | undefined>>;

/** Settings of the git processes wid runs: credentials, environment, commit identity and time limit. */
export interface GitSettings {
  auth: GitAuth;
  /**
   * The environment git runs in, read once at start. Git's own variables in it are
   * dropped except `GIT_SSH_COMMAND` and `GIT_SSH`, so that a caller's `GIT_DIR` or
   * `GIT_CONFIG_*` cannot redirect the work folder. Secrets git does not need (every
   * `WID_` variable, GitHub tokens, static AWS credentials) are dropped too.
   */
  environment: GitEnvironment;
  author: GitIdentity;
  /** A git command that prints nothing for this long is killed. Default 120 s. */
  silenceTimeoutMs?: number;
}

export const DEFAULT_GIT_SILENCE_TIMEOUT_MS = 120_000;

/** The ssh command git runs when the caller sets neither `GIT_SSH_COMMAND` nor `GIT_SSH`. */
export const DEFAULT_SSH_COMMAND = "ssh -o BatchMode=yes";

/** Variables of the caller's environment that are passed to git unchanged. */
const PASSED_GIT_VARIABLES = new Set(["GIT_SSH_COMMAND", "GIT_SSH"]);
/** Variables that simple-git blocks, because they make git run another program. */
const BLOCKED_VARIABLES = new Set(["EDITOR", "VISUAL", "PAGER", "PREFIX", "SSH_ASKPASS"]);
/**
 * Secrets that wid or the cloud SDKs read from the environment and git never needs:
 * GitHub tokens and static AWS credentials. Every `WID_` variable is dropped as well,
 * because the daemon's secrets (issuer keys, the GitHub App's key, the webhook secret,
 * the git token) are all named so; the token reaches git only through {@link credentialVariables}.
 */
const SECRET_VARIABLES = new Set(["GITHUB_TOKEN", "GH_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"]);

/**
 * A credential helper given on the command line for each git command, so it is never
 * written to `.git/config`. It reads the token from the environment of the git process
 * when git requests it, and handles only `get`, so git can neither store nor erase it.
 */
const CREDENTIAL_HELPER =
  '!f() { test "$1" = get || exit 0; printf "username=%s\\n" "$WID_GIT_USERNAME"; printf "password=%s\\n" "$WID_GIT_TOKEN"; }; f';

/**
 * Creates a git client for `baseDir`. Every command gets wid's settings as `-c` options,
 * which git applies to that command only: the credential helper (when a token is set),
 * the commit identity, no commit signing and no line-ending conversion. Nothing is
 * written to the repository's config. `signal` kills a running git command.
 */
export function createGitClient(baseDir: string, settings: GitSettings, signal?: AbortSignal): SimpleGit {
  const config = [
    `user.name=${settings.author.name}`,
    `user.email=${settings.author.email}`,
    "commit.gpgSign=false",
    "core.autocrlf=false",
    "gc.autoDetach=false",
    "advice.detachedHead=false",
    // An empty value clears helpers from the user's and system's config, so that no
    // helper of the host stores wid's token or offers another one.
    "credential.helper=",
  ];
  if (settings.auth.token !== undefined) config.push(`credential.helper=${CREDENTIAL_HELPER}`);

  const git = simpleGit({
    baseDir,
    config,
    maxConcurrentProcesses: 1,
    timeout: { block: settings.silenceTimeoutMs ?? DEFAULT_GIT_SILENCE_TIMEOUT_MS },
    unsafe: { allowUnsafeCredentialHelper: true, allowUnsafeSshCommand: true },
    allowConfig: config.map((entry) => entry.slice(0, entry.indexOf("="))),
    allowEnvironment: [...PASSED_GIT_VARIABLES, "GIT_TERMINAL_PROMPT"],
    ...(signal !== undefined ? { abort: signal } : {}),
  });
  return git.env({ ...gitEnvironment(settings.environment), ...credentialVariables(settings.auth) });
}

/**
 * Creates a git client for local, read-only commands in `baseDir`, such as finding the
 * config revision or the repository root for `wid plan`, `wid apply` and `wid github
 * check`. It runs git in the same scrubbed environment as {@link createGitClient}, so a
 * `GIT_DIR` or `GIT_CONFIG_*` of the caller cannot point it at another repository, and
 * with the host's credential helpers switched off, so nothing prompts or reads a secret.
 */
export function createLocalGitClient(baseDir: string, environment: GitEnvironment): SimpleGit {
  const config = ["core.autocrlf=false", "credential.helper="];
  const git = simpleGit({ baseDir, config, allowConfig: config.map((entry) => entry.slice(0, entry.indexOf("="))), allowEnvironment: [...PASSED_GIT_VARIABLES, "GIT_TERMINAL_PROMPT"] });
  return git.env(gitEnvironment(environment));
}

/**
 * Returns the caller's environment without git's own variables, the variables
 * simple-git blocks and every secret git does not need. What git uses to connect is
 * kept: PATH, HOME, proxies, `SSH_AUTH_SOCK`, `GIT_SSH_COMMAND` and `GIT_SSH`.
 */
function gitEnvironment(environment: GitEnvironment): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(environment)) {
    if (value === undefined) continue;
    const upper = key.toUpperCase();
    if (upper.startsWith("GIT_") && !PASSED_GIT_VARIABLES.has(upper)) continue;
    if (upper.startsWith("WID_") || BLOCKED_VARIABLES.has(upper) || SECRET_VARIABLES.has(upper)) continue;
    result[key] = value;
  }
  // Fail instead of waiting for a password on an unattended terminal, and print
  // messages in English so that they read the same in every log.
  result.GIT_TERMINAL_PROMPT = "0";
  result.LC_ALL = "C";
  // ssh has prompts of its own (passphrases, unknown host keys); batch mode fails instead.
  if (result.GIT_SSH_COMMAND === undefined && result.GIT_SSH === undefined) result.GIT_SSH_COMMAND = DEFAULT_SSH_COMMAND;
  return result;
}

function credentialVariables(auth: GitAuth): Record<string, string> {
  if (auth.token === undefined) return {};
  return { WID_GIT_TOKEN: auth.token, WID_GIT_USERNAME: auth.username };
}
