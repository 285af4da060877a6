import path from "node:path";

import type { SimpleGit } from "simple-git";

import type { Diagnostic } from "../config/diagnostics.js";
import type { GitEnvironment } from "../git/client.js";
import { createLocalGitClient } from "../git/client.js";
import type { ReadStatusResult } from "../status/file.js";
import { readStatusFile } from "../status/file.js";
import type { StatusReader } from "./planner.js";
import { readStatusText } from "./status-text.js";

/**
 * Returns a status reader that reads the status file as it is on the pull request's base
 * commit, from the local git repository, instead of from the checkout. A pull request
 * can edit the status file, so an offline plan against its copy could hide changes from
 * reviewers. The base branch's copy is the one wid wrote.
 *
 * The base commit is `baseSha` when the clone has it, else the first parent of a merge
 * commit checked out by `actions/checkout` (which needs `fetch-depth: 2`). When neither
 * is available the checkout's copy is read, and a warning on the status file reports it.
 * git runs in `gitEnvironment` scrubbed of git's own variables (see `createLocalGitClient`).
 */
export function baseStatusReader(options: { baseSha: string; headSha: string; configPrefix: string; gitEnvironment: GitEnvironment }): StatusReader {
  return async (root, statusFile) => {
    const git = createLocalGitClient(root, options.gitEnvironment);
    const base = await findBaseCommit(git, options.baseSha, options.headSha);
    const repositoryFile = options.configPrefix === "" ? statusFile : path.posix.join(options.configPrefix, statusFile);
    if (base === undefined) return withWarning(await readStatusFile(root, statusFile), statusFile);

    let text: string;
    try {
      text = await git.show([`${base}:${repositoryFile}`]);
    } catch {
      // The base branch has no status file yet: nothing was ever applied.
      return { status: undefined, diagnostics: [], missing: true };
    }
    return readStatusText(text, statusFile);
  };
}

async function findBaseCommit(git: SimpleGit, baseSha: string, headSha: string): Promise<string | undefined> {
  if (await hasCommit(git, baseSha)) return baseSha;
  // actions/checkout checks out a merge commit of HEAD^1 (the base) and HEAD^2 (the head).
  const secondParent = await revParse(git, "HEAD^2");
  if (secondParent === headSha) return revParse(git, "HEAD^1");
  return undefined;
}

async function hasCommit(git: SimpleGit, sha: string): Promise<boolean> {
  try {
    await git.raw(["cat-file", "-e", `${sha}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

async function revParse(git: SimpleGit, ref: string): Promise<string | undefined> {
  try {
    return (await git.revparse(["--verify", "--quiet", ref])).trim() || undefined;
  } catch {
    return undefined;
  }
}

function withWarning(result: ReadStatusResult, statusFile: string): ReadStatusResult {
  const warning: Diagnostic = {
    file: statusFile,
    line: 1,
    column: 1,
    severity: "warning",
    code: "status-from-checkout",
    message:
      "the base commit is not in this clone, so the status file was read from the pull request's checkout, which the pull request can edit; check out with fetch-depth: 2 to plan against the base branch's status file",
  };
  return { ...result, diagnostics: [...result.diagnostics, warning] };
}
