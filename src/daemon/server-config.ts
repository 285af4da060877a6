import path from "node:path";

import { ExpectedError } from "../errors/expected.js";
import type { GithubAppConfig } from "../github/config.js";
import { GithubConfigError, parseRepositoryName, readGithubAppConfig } from "../github/config.js";
import { IssuerError } from "../issuer/errors.js";
import type { IssuerEnvironment, KeySetSource } from "../issuer/key-source.js";
import { resolveKeySource } from "../issuer/key-source.js";

/** The GitHub App a daemon plans pull requests with. */
export interface DaemonGithubApp {
  credentials: GithubAppConfig;
  /** `OWNER/NAME` of the config repository, whose deliveries the App handles. */
  repository: string;
}

/** A server setting that cannot be used; the message names the flag or variable. */
export class ServerConfigError extends ExpectedError {
  readonly kind = "configuration";

  constructor(message: string) {
    super(message);
    this.name = "ServerConfigError";
  }
}

/**
 * Returns the signing keys whose JWKS the daemon publishes: `--issuer-keys FILE`, else
 * the issuer's variables (`WID_ISSUER_KEYS_FILE`, then `WID_ISSUER_KEYS`), or undefined
 * when none is set. The keys are read once here, so that a missing or malformed key set
 * fails the start instead of every JWKS request. A key file is read again when it
 * changes, so `wid issuer rotate` needs no restart.
 */
export async function readIssuerKeys(flag: string | undefined, environment: IssuerEnvironment, cwd: string): Promise<KeySetSource | undefined> {
  if (flag === undefined && environment.keysFile === undefined && environment.keys === undefined) return undefined;
  try {
    const source = await resolveKeySource(flag === undefined ? undefined : path.resolve(cwd, flag), environment);
    await source.load();
    return source;
  } catch (error) {
    if (error instanceof IssuerError) throw new ServerConfigError(`${flag !== undefined ? "--issuer-keys: " : ""}${error.message}`);
    throw error;
  }
}

/**
 * Returns the GitHub App of the daemon from the `WID_GITHUB_APP_` variables and
 * `GITHUB_API_URL`, as `wid github check` reads them, or undefined when none is set. The
 * repository is `GITHUB_REPOSITORY`, else the last two path segments of an https or
 * ssh `remote` such as `git@github.com:acme/identities.git`.
 */
export async function readGithubApp(env: Readonly<Record<string, string | undefined>>, remote: string): Promise<DaemonGithubApp | undefined> {
  try {
    const credentials = await readGithubAppConfig(env);
    if (credentials === undefined) return undefined;
    const fromEnvironment = env.GITHUB_REPOSITORY?.trim();
    const repository = fromEnvironment !== undefined && fromEnvironment !== "" ? fromEnvironment : repositoryOfRemote(remote);
    if (repository === undefined) throw new GithubConfigError(`the GitHub App's repository cannot be derived from --repo ${remote}; set GITHUB_REPOSITORY to OWNER/NAME`);
    const { owner, repo } = parseRepositoryName(repository, fromEnvironment !== undefined && fromEnvironment !== "" ? "GITHUB_REPOSITORY" : "the repository of --repo");
    return { credentials, repository: `${owner}/${repo}` };
  } catch (error) {
    if (error instanceof GithubConfigError) throw new ServerConfigError(error.message);
    throw error;
  }
}

/** Returns `OWNER/NAME` from a remote such as `https://github.com/acme/identities.git`, or undefined for a local path. */
function repositoryOfRemote(remote: string): string | undefined {
  const scpLike = /^(?:[^@/\s]+@)?[^/:\s]+:(?!\/\/)(.*)$/.exec(remote);
  let pathname: string;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(remote)) {
    const url = new URL(remote);
    if (url.protocol === "file:") return undefined;
    pathname = url.pathname;
  } else if (scpLike !== null && !path.isAbsolute(remote)) {
    pathname = scpLike[1] ?? "";
  } else {
    return undefined;
  }
  const segments = pathname.replace(/\.git\/?$/, "").split("/").filter((segment) => segment !== "");
  if (segments.length < 2) return undefined;
  return segments.slice(-2).join("/");
}
