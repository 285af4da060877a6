import type { SimpleGit } from "simple-git";

import { STATUS_COMMIT_TRAILER } from "./commit-message.js";
import type { GitEnvironment } from "./client.js";
import { createLocalGitClient } from "./client.js";

/** The selection of commits that count as changes of the config. */
export interface ConfigRevisionQuery {
  /**
   * The config directory, relative to the git command's working directory, with `/`
   * separators: `.` for that directory, or `""` for the whole repository.
   */
  path: string;
  /**
   * The status file, relative to the config directory. Commits that change only this
   * file do not count, whatever their message. Default: none is excluded.
   */
  statusFile?: string;
}

/**
 * Returns the `git log` arguments that print the config revision: the last commit on
 * HEAD's first-parent line that changed the config and is not a wid status commit
 * (one whose message carries the {@link STATUS_COMMIT_TRAILER} trailer).
 */
export function configRevisionArgs(query: ConfigRevisionQuery): string[] {
  const args = ["log", "-1", "--first-parent", "--invert-grep", `--grep=^${STATUS_COMMIT_TRAILER}: `, "--format=%H", "HEAD"];
  const paths = query.path === "" ? [] : [`:(literal)${query.path}`];
  if (query.statusFile !== undefined) {
    if (paths.length === 0) paths.push(":(literal).");
    paths.push(`:(exclude,literal)${query.path === "" || query.path === "." ? "" : `${query.path}/`}${query.statusFile}`);
  }
  return paths.length === 0 ? args : [...args, "--", ...paths];
}

/**
 * Returns the config revision (see {@link configRevisionArgs}), or null when no commit
 * matches, such as a config directory that was never committed. The revision stays
 * the same across commits of the status file alone, so a status file that records it
 * does not change again once it is committed. Throws the git error.
 */
export async function configRevision(git: SimpleGit, query: ConfigRevisionQuery): Promise<string | null> {
  const found = (await git.raw(configRevisionArgs(query))).trim();
  return found === "" ? null : found;
}

/**
 * Returns the config revision of the config directory `dir` for `wid plan` and `wid
 * apply`: {@link configRevision} with `statusFile` excluded, else the HEAD commit when
 * nothing in the directory was committed yet. Returns null when `dir` is not inside a
 * git work tree, the repository has no commits, or git fails. git runs in `environment`
 * scrubbed of git's own variables (see `createLocalGitClient`).
 */
export async function localConfigRevision(dir: string, statusFile: string, environment: GitEnvironment): Promise<string | null> {
  try {
    const git = createLocalGitClient(dir, environment);
    if (!(await git.checkIsRepo())) return null;
    return (await configRevision(git, { path: ".", statusFile })) ?? (await git.revparse(["HEAD"])).trim();
  } catch {
    return null;
  }
}
