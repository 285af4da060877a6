import { readFile, stat } from "node:fs/promises";

import type { Provider } from "../config/model.js";
import { ExpectedError } from "../errors/expected.js";
import type { PullRequestEvent } from "./event.js";
import { EventPayloadError, readPullRequestEvent } from "./event.js";
import type { JsonRecord } from "./json.js";
import { isCommitSha, isRecord, stringAt } from "./json.js";
import { systemErrorCode } from "../fs/error-code.js";

/** The API of github.com, used when `GITHUB_API_URL` is not set. */
export const DEFAULT_GITHUB_API_URL = "https://api.github.com";

/** The credentials `wid github check` authenticates to the GitHub API with. */
export type GithubAuth =
  /** A token such as the workflow's `GITHUB_TOKEN`, sent as is. */
  | { kind: "token"; token: string }
  /** A GitHub App: wid signs a JWT with the private key and exchanges it for an installation token. */
  | { kind: "app"; appId: string; privateKey: string; installationId: number };

/** Everything `wid github check` reads from its environment, read once. */
export interface GithubCheckConfig {
  /** REST API base URL, from `GITHUB_API_URL`. Default {@link DEFAULT_GITHUB_API_URL}. */
  apiUrl: string;
  owner: string;
  repo: string;
  /** `GITHUB_EVENT_NAME`, such as `pull_request` or `push`; empty when unset. */
  eventName: string;
  /** The commit the check run is posted on. */
  headSha: string;
  /** The pull request number, or null outside pull request events. */
  pullRequest: number | null;
  /** The base commit of the pull request, or null outside pull request events. */
  baseSha: string | null;
  auth: GithubAuth;
  /** `GITHUB_WORKSPACE`: the repository checkout, used when git cannot tell the repository root. */
  workspace: string | undefined;
  /**
   * Providers whose credentials the environment has, by the variables their SDKs read:
   * see {@link AWS_CREDENTIAL_VARIABLES}, and GOOGLE_APPLICATION_CREDENTIALS naming a file
   * that exists. Credentials found another way (an instance role, a metadata server, a
   * default profile file) are not seen here; `--online` plans against the cloud anyway.
   */
  cloudCredentials: ReadonlySet<Provider>;
}

/** A missing or invalid setting; the message names the variable and what to do. */
export class GithubConfigError extends ExpectedError {
  readonly kind = "configuration";

  constructor(message: string) {
    super(message);
    this.name = "GithubConfigError";
  }
}

/**
 * Environment variables whose presence means the AWS SDK finds credentials, as the
 * configure-aws-credentials action and container platforms set them. Pull requests
 * from forks get none of them, because GitHub gives such runs no secrets.
 */
export const AWS_CREDENTIAL_VARIABLES = [
  "AWS_ACCESS_KEY_ID",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_PROFILE",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
] as const;

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Reads the check's settings from the GitHub Actions environment and the event payload
 * at `GITHUB_EVENT_PATH`. On pull request events the check is posted on
 * `pull_request.head.sha`, never on `GITHUB_SHA`: there `GITHUB_SHA` is a merge commit,
 * and a check run on it never shows on the pull request. On other events the commit is
 * the payload's `after` (push) or `GITHUB_SHA`.
 *
 * GitHub App credentials (`WID_GITHUB_APP_ID`, `WID_GITHUB_APP_PRIVATE_KEY` or
 * `WID_GITHUB_APP_PRIVATE_KEY_FILE`, `WID_GITHUB_APP_INSTALLATION_ID`) take precedence over
 * `GITHUB_TOKEN` when set. Throws {@link GithubConfigError} for a missing or invalid value.
 */
export async function readGithubCheckConfig(env: Environment): Promise<GithubCheckConfig> {
  const apiUrl = readApiUrl(env.GITHUB_API_URL);
  const [owner, repo] = readRepository(env.GITHUB_REPOSITORY);
  const eventName = env.GITHUB_EVENT_NAME ?? "";
  const payload = await readEventPayload(env.GITHUB_EVENT_PATH, eventName);
  const target = readTarget(payload, eventName, env.GITHUB_SHA);
  const auth = await readAuth(env);

  return {
    apiUrl,
    owner,
    repo,
    eventName,
    ...target,
    auth,
    workspace: nonEmpty(env.GITHUB_WORKSPACE),
    cloudCredentials: await readCloudCredentials(env),
  };
}

async function readCloudCredentials(env: Environment): Promise<Set<Provider>> {
  const providers = new Set<Provider>();
  if (AWS_CREDENTIAL_VARIABLES.some((name) => nonEmpty(env[name]) !== undefined)) providers.add("aws");

  // The Google auth action writes a credential file and points this variable at it.
  const googleFile = nonEmpty(env.GOOGLE_APPLICATION_CREDENTIALS);
  if (googleFile !== undefined && (await stat(googleFile).catch(() => undefined))?.isFile() === true) providers.add("gcp");
  return providers;
}

function readApiUrl(value: string | undefined): string {
  const text = nonEmpty(value) ?? DEFAULT_GITHUB_API_URL;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new GithubConfigError(`GITHUB_API_URL ${JSON.stringify(text)} is not a URL; set it to the REST API base, such as ${DEFAULT_GITHUB_API_URL}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new GithubConfigError(`GITHUB_API_URL ${JSON.stringify(text)} must be an http or https URL`);
  }
  return text.replace(/\/+$/, "");
}

function readRepository(value: string | undefined): [string, string] {
  const text = nonEmpty(value);
  if (text === undefined) throw new GithubConfigError("GITHUB_REPOSITORY is not set; run wid github check in GitHub Actions, or set it to OWNER/NAME");
  const { owner, repo } = parseRepositoryName(text, "GITHUB_REPOSITORY");
  return [owner, repo];
}

async function readEventPayload(eventPath: string | undefined, eventName: string): Promise<JsonRecord | undefined> {
  const file = nonEmpty(eventPath);
  if (file === undefined) {
    if (eventName.startsWith("pull_request")) {
      throw new GithubConfigError(`GITHUB_EVENT_PATH is not set on a ${eventName} event; wid needs the payload to find the pull request's head commit`);
    }
    return undefined;
  }

  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new GithubConfigError(`cannot read the event payload at GITHUB_EVENT_PATH ${file}: ${systemErrorCode(error) ?? "read failed"}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new GithubConfigError(`the event payload at GITHUB_EVENT_PATH ${file} is not valid JSON`);
  }
  if (!isRecord(value)) throw new GithubConfigError(`the event payload at GITHUB_EVENT_PATH ${file} is not a JSON object`);
  return value;
}

function readTarget(payload: JsonRecord | undefined, eventName: string, githubSha: string | undefined): Pick<GithubCheckConfig, "headSha" | "pullRequest" | "baseSha"> {
  if (payload !== undefined) {
    let pullRequest: PullRequestEvent | undefined;
    try {
      pullRequest = readPullRequestEvent(payload);
    } catch (error) {
      if (error instanceof EventPayloadError) throw new GithubConfigError(`${error.message} (GITHUB_EVENT_PATH)`);
      throw error;
    }
    if (pullRequest !== undefined) return { headSha: pullRequest.headSha, pullRequest: pullRequest.number, baseSha: pullRequest.baseSha };
    if (eventName.startsWith("pull_request")) {
      throw new GithubConfigError(`the ${eventName} event payload has no pull_request object; wid cannot find the pull request's head commit`);
    }
    const after = stringAt(payload, "after");
    if (eventName === "push" && isCommitSha(after)) return { headSha: after, pullRequest: null, baseSha: null };
  }

  const sha = nonEmpty(githubSha);
  if (!isCommitSha(sha)) {
    throw new GithubConfigError("GITHUB_SHA is not set to a commit SHA and the event payload names no commit; run wid github check in GitHub Actions");
  }
  return { headSha: sha, pullRequest: null, baseSha: null };
}

/** The GitHub App credentials a daemon plans pull requests with. */
export interface GithubAppConfig {
  /** REST API base URL, from `GITHUB_API_URL`. Default {@link DEFAULT_GITHUB_API_URL}. */
  apiUrl: string;
  appId: string;
  /** The App's private key, PEM. A secret: never log it. */
  privateKey: string;
  installationId: number;
}

/**
 * Reads the GitHub App credentials from `WID_GITHUB_APP_ID`, `WID_GITHUB_APP_PRIVATE_KEY`
 * or `WID_GITHUB_APP_PRIVATE_KEY_FILE`, `WID_GITHUB_APP_INSTALLATION_ID` and
 * `GITHUB_API_URL`, as `wid github check` does. Returns undefined when no
 * `WID_GITHUB_APP_` variable is set. Throws {@link GithubConfigError} for a missing or
 * invalid value.
 */
export async function readGithubAppConfig(env: Environment): Promise<GithubAppConfig | undefined> {
  const auth = await readAppAuth(env);
  if (auth === undefined) return undefined;
  return { apiUrl: readApiUrl(env.GITHUB_API_URL), appId: auth.appId, privateKey: auth.privateKey, installationId: auth.installationId };
}

/** Splits `OWNER/NAME`. Throws {@link GithubConfigError} naming `source` when the text has another form. */
export function parseRepositoryName(text: string, source: string): { owner: string; repo: string } {
  const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(text);
  if (match === null) throw new GithubConfigError(`${source} ${JSON.stringify(text)} is not of the form OWNER/NAME`);
  return { owner: match[1] as string, repo: match[2] as string };
}

async function readAuth(env: Environment): Promise<GithubAuth> {
  const app = await readAppAuth(env);
  if (app !== undefined) return app;

  const token = nonEmpty(env.GITHUB_TOKEN);
  if (token === undefined) {
    throw new GithubConfigError("no GitHub credentials: set GITHUB_TOKEN (env: GITHUB_TOKEN: ${{ github.token }}) or the WID_GITHUB_APP_ variables of a GitHub App");
  }
  return { kind: "token", token };
}

async function readAppAuth(env: Environment): Promise<Extract<GithubAuth, { kind: "app" }> | undefined> {
  const appId = nonEmpty(env.WID_GITHUB_APP_ID);
  const keyText = nonEmpty(env.WID_GITHUB_APP_PRIVATE_KEY);
  const keyFile = nonEmpty(env.WID_GITHUB_APP_PRIVATE_KEY_FILE);
  const installation = nonEmpty(env.WID_GITHUB_APP_INSTALLATION_ID);

  if (appId !== undefined || keyText !== undefined || keyFile !== undefined || installation !== undefined) {
    if (appId === undefined || !/^[A-Za-z0-9.]+$/.test(appId)) {
      throw new GithubConfigError("WID_GITHUB_APP_ID is missing or invalid; set it to the GitHub App's ID, or unset every WID_GITHUB_APP_ variable to use GITHUB_TOKEN");
    }
    if (installation === undefined || !/^[0-9]+$/.test(installation)) {
      throw new GithubConfigError("WID_GITHUB_APP_INSTALLATION_ID is missing or not a number; set it to the ID of the App's installation on this repository");
    }
    const privateKey = keyText ?? (keyFile !== undefined ? await readPrivateKeyFile(keyFile) : undefined);
    if (privateKey === undefined) {
      throw new GithubConfigError("the GitHub App's private key is missing; set WID_GITHUB_APP_PRIVATE_KEY to the PEM text or WID_GITHUB_APP_PRIVATE_KEY_FILE to its path");
    }
    // Keys in environment variables often have their line breaks written as \n.
    const pem = privateKey.replace(/\\n/g, "\n");
    if (!/-----BEGIN (?:RSA )?PRIVATE KEY-----/.test(pem)) {
      throw new GithubConfigError("the GitHub App's private key is not a PEM private key; use the .pem file that GitHub generated for the App");
    }
    return { kind: "app", appId, privateKey: pem, installationId: Number(installation) };
  }
  return undefined;
}

async function readPrivateKeyFile(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    throw new GithubConfigError(`cannot read WID_GITHUB_APP_PRIVATE_KEY_FILE ${file}: ${systemErrorCode(error) ?? "read failed"}`);
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}
