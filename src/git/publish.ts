import { readFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import type { Logger } from "pino";
import type { SimpleGit } from "simple-git";

import { writeStatusText } from "../status/file.js";
import { GitOperationError, gitDetail, gitStep } from "./errors.js";

/** Default number of push attempts before a run gives up and leaves the status to the next run. */
export const DEFAULT_PUSH_ATTEMPTS = 5;

/** Options of {@link publishStatus}. */
export interface PublishOptions {
  /** A client for the work folder; its abort signal should be `signal`. */
  git: SimpleGit;
  /** Absolute path of the work folder. */
  dir: string;
  branch: string;
  /** The status file inside the repository, with `/` separators. It is the only file ever committed. */
  statusPath: string;
  message: string;
  /** Push attempts, at least 1. Default {@link DEFAULT_PUSH_ATTEMPTS}. */
  maxAttempts?: number;
  /** Base delay between attempts; attempt n waits n times this plus up to as much again at random. Default 200 ms. */
  retryDelayMs?: number;
  signal: AbortSignal;
  logger: Logger;
}

/** Result of {@link publishStatus}. */
export interface PublishResult {
  /** The status commit pushed to the branch, or null when there was nothing to push. */
  commit: string | null;
  /** Push attempts made; 0 when the status file was unchanged. */
  attempts: number;
  /** The commit was rebased, or regenerated, on top of commits that someone else pushed. */
  rebased: boolean;
}

/**
 * Commits the status file when it differs from the branch head and pushes the commit,
 * never with force. When the push is rejected because the branch moved, the commit is
 * rebased onto the new head and pushed again, up to `maxAttempts` times. The status
 * file is wid's alone: when the rebase conflicts on it, or merges another edit into it,
 * wid writes its own content on top of the new head. Any other push failure is thrown at once.
 */
export async function publishStatus(options: PublishOptions): Promise<PublishResult> {
  const { git, signal, logger, statusPath } = options;
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_PUSH_ATTEMPTS);
  const statusText = await readFile(path.join(options.dir, statusPath), "utf8");

  // Commit: only the status file, and only when it differs from the branch head.
  if (!(await statusFileChanged(git, statusPath, signal))) return { commit: null, attempts: 0, rebased: false };
  await commitStatusFile(options);

  let rebased = false;
  for (let attempt = 1; ; attempt++) {
    // Push: a fast-forward of the branch, or a rejection.
    const failure = await pushHead(options);
    if (failure === null) {
      const commit = (await gitStep("rev-parse", signal, () => git.revparse(["HEAD"]))).trim();
      return { commit, attempts: attempt, rebased };
    }

    // Rejected: retry only when someone else moved the branch since the commit's parent.
    const parent = (await gitStep("rev-parse", signal, () => git.revparse(["HEAD~1"]))).trim();
    await gitStep("fetch", signal, () => git.raw(["fetch", "--no-tags", "origin", `+refs/heads/${options.branch}:refs/remotes/origin/${options.branch}`]));
    const remoteHead = (await gitStep("rev-parse", signal, () => git.revparse([`refs/remotes/origin/${options.branch}`]))).trim();
    if (remoteHead === parent) throw new GitOperationError("push", `git push failed: ${failure}`);
    if (attempt >= maxAttempts) {
      throw new GitOperationError("push", `git push was rejected ${attempt} times because the branch kept moving; the next run publishes the status`);
    }

    logger.warn({ attempt, maxAttempts, remoteHead }, "push rejected; rebasing the status commit");
    const outcome = await rebaseOntoRemote(options, statusText);
    rebased = true;
    if (outcome === "up-to-date") {
      logger.info({ remoteHead }, "status already on the remote branch");
      return { commit: null, attempts: attempt, rebased };
    }

    const delay = (options.retryDelayMs ?? 200) * attempt;
    await sleep(delay + Math.random() * delay, undefined, { signal });
  }
}

/** Returns the pathspec that matches `file` alone, even when its name contains `*`, `?` or `[`. */
function literalPathspec(file: string): string {
  return `:(literal)${file}`;
}

async function statusFileChanged(git: SimpleGit, statusPath: string, signal: AbortSignal): Promise<boolean> {
  const porcelain = await gitStep("status", signal, () => git.raw(["status", "--porcelain", "--untracked-files=all", "--", literalPathspec(statusPath)]));
  return porcelain.trim() !== "";
}

async function commitStatusFile({ git, statusPath, message, signal }: PublishOptions): Promise<void> {
  await gitStep("add", signal, () => git.raw(["add", "--", literalPathspec(statusPath)]));
  await gitStep("commit", signal, () => git.raw(["commit", "--no-verify", "--quiet", "--message", message, "--", literalPathspec(statusPath)]));

  // The commit contains the status file and nothing else, whatever the work tree contains.
  // -z prints names unquoted, so a name with non-ASCII characters compares equal.
  const listing = await gitStep("diff-tree", signal, () => git.raw(["diff-tree", "-z", "--no-commit-id", "--name-only", "-r", "HEAD"]));
  const files = listing.split("\0").filter((file) => file !== "");
  if (files.length !== 1 || files[0] !== statusPath) {
    await git.raw(["reset", "--hard", "HEAD~1"]);
    throw new GitOperationError("commit", `the status commit would change ${files.join(", ")}; wid commits only ${statusPath}`);
  }
}

/** Pushes HEAD to the branch and returns null, or git's message when the push was rejected. */
async function pushHead({ git, branch, signal }: PublishOptions): Promise<string | null> {
  try {
    await git.raw(["push", "--no-verify", "--porcelain", "origin", `HEAD:refs/heads/${branch}`]);
    return null;
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    return gitDetail(error);
  }
}

/**
 * Moves the status commit onto the fetched remote head. The status file must end up
 * with wid's content, so when the rebase conflicts on it, or merges someone else's
 * edit of other lines into it, wid's content is written on the new head instead.
 * Returns `up-to-date` when the remote branch already contains the same status file,
 * so nothing is left to push.
 */
async function rebaseOntoRemote(options: PublishOptions, statusText: string): Promise<"rebased" | "regenerated" | "up-to-date"> {
  const { git, signal, branch, statusPath, logger } = options;
  const remoteRef = `refs/remotes/origin/${branch}`;
  try {
    await git.raw(["rebase", remoteRef]);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    // Someone else changed the status file: write wid's content on the new head instead of merging.
    logger.warn({ statusFile: statusPath, detail: gitDetail(error) }, "status file conflict; regenerating it on the new head");
    await git.raw(["rebase", "--abort"]).catch(() => undefined);
    return regenerateOnRemote(options, statusText);
  }

  const rebasedText = await readFile(path.join(options.dir, statusPath), "utf8").catch(() => undefined);
  if (rebasedText !== statusText) {
    logger.warn({ statusFile: statusPath }, "status file merged with an edit on the branch; regenerating it on the new head");
    return regenerateOnRemote(options, statusText);
  }
  const [head, remoteHead] = await Promise.all([git.revparse(["HEAD"]), git.revparse([remoteRef])]);
  return head.trim() === remoteHead.trim() ? "up-to-date" : "rebased";
}

/** Resets to the fetched remote head and commits wid's status file on top of it, when it differs there. */
async function regenerateOnRemote(options: PublishOptions, statusText: string): Promise<"regenerated" | "up-to-date"> {
  const { git, signal, branch, statusPath } = options;
  await gitStep("reset", signal, () => git.raw(["reset", "--hard", `refs/remotes/origin/${branch}`]));
  // The new head may have replaced a folder of the path with a link, so write through the checked writer.
  await writeStatusText(options.dir, statusPath, statusText);
  if (!(await statusFileChanged(git, statusPath, signal))) return "up-to-date";
  await commitStatusFile(options);
  return "regenerated";
}
