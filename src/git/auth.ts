import type { UrlCredentials } from "./url.js";

/**
 * The user name sent with a bare token. GitHub accepts any name with a personal access
 * token and expects `x-access-token` with a GitHub App installation token.
 */
export const DEFAULT_TOKEN_USERNAME = "x-access-token";

/** HTTPS credentials for git. SSH needs none here: git runs `GIT_SSH_COMMAND` or ssh's own agent and keys. */
export interface GitAuth {
  /** Token or password sent to an http(s) remote, or undefined to send nothing. */
  token: string | undefined;
  /** User name sent with the token. */
  username: string;
}

/** Source of the credentials, for the log line at start. */
export type GitAuthSource = "environment" | "url" | "none";

/**
 * Chooses the https credentials: `WID_GIT_TOKEN` (and `WID_GIT_USERNAME`) when set,
 * otherwise the userinfo of the `--repo` URL, otherwise none. When both exist the
 * environment wins and `urlCredentialsIgnored` is true, so the caller can warn.
 */
export function resolveGitAuth(
  environment: { gitToken: string | undefined; gitUsername: string | undefined },
  urlCredentials: UrlCredentials | undefined,
): { auth: GitAuth; source: GitAuthSource; urlCredentialsIgnored: boolean } {
  if (environment.gitToken !== undefined) {
    return {
      auth: { token: environment.gitToken, username: environment.gitUsername ?? DEFAULT_TOKEN_USERNAME },
      source: "environment",
      urlCredentialsIgnored: urlCredentials !== undefined,
    };
  }
  if (urlCredentials !== undefined) {
    return {
      auth: { token: urlCredentials.password, username: urlCredentials.username ?? environment.gitUsername ?? DEFAULT_TOKEN_USERNAME },
      source: "url",
      urlCredentialsIgnored: false,
    };
  }
  return { auth: { token: undefined, username: environment.gitUsername ?? DEFAULT_TOKEN_USERNAME }, source: "none", urlCredentialsIgnored: false };
}
