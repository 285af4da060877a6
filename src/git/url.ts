import path from "node:path";

/** Credentials written into the userinfo part of an http(s) repository URL. */
export interface UrlCredentials {
  /** The user name, or undefined when the userinfo holds only a token. */
  username: string | undefined;
  /** The password or token. */
  password: string;
}

/** The config repository as given with `--repo`, split into what git may store and what it must not. */
export interface RepoLocation {
  /**
   * Remote that git clones from and pushes to: an http(s) URL without userinfo, another
   * URL or scp-like address as given, or an absolute local path.
   */
  remote: string;
  /** Credentials removed from an http(s) URL, or undefined when it had none. */
  credentials: UrlCredentials | undefined;
}

const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
/** `user@host:path` with no slash before the colon, the scp-like form git reads as ssh. */
const SCP_LIKE = /^(?:[^@/\s]+@)?[^/:\s]+:(?!\/\/)/;

/**
 * Parses `--repo`: a URL (https, http, ssh, git, file), an scp-like ssh address such as
 * `git@github.com:org/config.git`, or a local path resolved against `cwd`. Userinfo is
 * removed from http(s) URLs so that it never reaches the work folder's `.git/config`.
 * The caller passes it to git through the credential helper instead.
 */
export function parseRepoLocation(repo: string, cwd: string): RepoLocation {
  if (URL_SCHEME.test(repo)) {
    const url = new URL(repo);
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      // ssh keeps its user name, which is not a secret; a password there is never used by git.
      url.password = "";
      return { remote: url.toString(), credentials: undefined };
    }
    const username = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    url.username = "";
    url.password = "";
    if (username === "" && password === "") return { remote: url.toString(), credentials: undefined };
    // A userinfo without a password is a bare token, as in https://TOKEN@github.com/...
    if (password === "") return { remote: url.toString(), credentials: { username: undefined, password: username } };
    return { remote: url.toString(), credentials: { username, password } };
  }
  if (SCP_LIKE.test(repo) && !path.isAbsolute(repo)) return { remote: repo, credentials: undefined };
  return { remote: path.resolve(cwd, repo), credentials: undefined };
}

const USERINFO_IN_URL = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@]+)@/gi;

/**
 * Removes credentials from every URL inside `text`: the whole userinfo of http(s) URLs,
 * where it may be a bare token, and the password of other URLs. Text without URLs is
 * returned unchanged. Used on anything logged that may contain a repository URL.
 */
export function stripUrlCredentials(text: string): string {
  return text.replace(USERINFO_IN_URL, (_match, scheme: string, userinfo: string) => {
    if (/^https?:\/\/$/i.test(scheme)) return scheme;
    const user = userinfo.split(":")[0] ?? "";
    return `${scheme}${user}@`;
  });
}
