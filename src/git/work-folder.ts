import { access, mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";

import type { Logger } from "pino";
import type { SimpleGit } from "simple-git";

import { ExpectedError } from "../errors/expected.js";
import { createGitClient } from "./client.js";
import type { GitSettings } from "./client.js";
import { gitStep } from "./errors.js";
import { acquireFolderLock } from "./lock.js";
import type { FolderLock } from "./lock.js";
import { configRevision } from "./revision.js";

/** Location of wid's clone, the remote and branch it follows, and the config directory inside it. */
export interface WorkFolderOptions {
  /** Folder that contains wid's clone. It is created when missing and owned by wid, so local changes in it are discarded. */
  dir: string;
  /** Remote URL or path without credentials, as stored in the clone's `origin`. */
  remote: string;
  branch: string;
  /** Config directory inside the repository with `/` separators, or `""` for its root. */
  subdir: string;
  git: GitSettings;
  logger: Logger;
}

/** The checked-out state after {@link WorkFolder.sync}. */
export interface SyncResult {
  /** The remote branch head now checked out. */
  head: string;
  /**
   * The config revision: the last commit on the branch's first-parent line that changed
   * the config directory and is not a wid status commit. Status commits do not change
   * it, so a status file that names it stays the same from one run to the next.
   */
  revision: string;
}

/** The work folder is unusable as it is, for a reason the operator has to fix. */
export class WorkFolderError extends ExpectedError {
  readonly kind = "work-folder";

  constructor(message: string) {
    super(message);
    this.name = "WorkFolderError";
  }
}

/** How long a git index lock left by a killed process is waited for before it is removed. */
const INDEX_LOCK_WAIT_MS = 10_000;

/**
 * wid's clone of the config repository. It is cloned once. Each run then fetches the
 * branch and resets the clone to the remote head, which discards whatever an earlier run
 * left behind, such as a commit that was never pushed or a rebase cut short by a crash.
 * A lock file next to the folder keeps a second wid process out.
 */
export class WorkFolder {
  private constructor(
    private readonly options: WorkFolderOptions,
    private readonly lock: FolderLock,
  ) {}

  /** Takes the folder's lock, then clones the repository or checks and repairs the existing clone. */
  static async open(options: WorkFolderOptions, signal?: AbortSignal): Promise<WorkFolder> {
    const dir = path.resolve(options.dir);
    await mkdir(path.dirname(dir), { recursive: true });
    const lock = await acquireFolderLock(`${dir}.lock`);
    if (lock.staleOwner !== null) options.logger.warn({ lockFile: lock.path, staleOwner: lock.staleOwner }, "stale work folder lock taken over");

    const folder = new WorkFolder({ ...options, dir }, lock);
    try {
      if (await isGitWorkTree(dir)) await folder.checkExistingClone(signal);
      else await folder.clone(signal);
    } catch (error) {
      await lock.release();
      throw error;
    }
    return folder;
  }

  /** Absolute path of the clone. */
  get dir(): string {
    return this.options.dir;
  }

  /** Absolute path of the config directory inside the clone. */
  get configDir(): string {
    return path.join(this.options.dir, ...this.options.subdir.split("/").filter((part) => part !== ""));
  }

  get branch(): string {
    return this.options.branch;
  }

  /** The config directory inside the repository, with `/` separators, or `""` for its root. */
  get subdir(): string {
    return this.options.subdir;
  }

  /** Creates a git client for the clone; `signal` kills its running command. */
  client(signal?: AbortSignal): SimpleGit {
    return createGitClient(this.options.dir, this.options.git, signal);
  }

  /** Fetches the branch, resets the clone to its head, removes untracked files and finds the config revision. */
  async sync(signal: AbortSignal): Promise<SyncResult> {
    const git = this.client(signal);
    const { branch } = this.options;
    await this.abortUnfinishedRebase(git);

    // Fetch only the branch, then make the clone exactly the remote head.
    await gitStep("fetch", signal, () => git.raw(["fetch", "--prune", "--no-tags", "origin", `+refs/heads/${branch}:refs/remotes/origin/${branch}`]));
    await gitStep("checkout", signal, () => git.raw(["checkout", "--force", "-B", branch, `refs/remotes/origin/${branch}`]));
    await gitStep("clean", signal, () => git.raw(["clean", "-ffdx"]));

    const head = (await gitStep("rev-parse", signal, () => git.revparse(["HEAD"]))).trim();
    const revision = await this.configRevision(git, signal, head);
    const configDirExists = await stat(this.configDir).then((info) => info.isDirectory(), () => false);
    if (!configDirExists) {
      throw new WorkFolderError(`the config directory ${this.options.subdir} does not exist on branch ${branch} at ${head.slice(0, 12)}; check --path`);
    }
    return { head, revision };
  }

  /** Releases the folder's lock. The clone stays for the next start. */
  async close(): Promise<void> {
    await this.lock.release();
  }

  private async configRevision(git: SimpleGit, signal: AbortSignal, head: string): Promise<string> {
    const found = await gitStep("log", signal, () => configRevision(git, { path: this.options.subdir }));
    return found ?? head;
  }

  private async clone(signal: AbortSignal | undefined): Promise<void> {
    const { dir, remote, branch, logger } = this.options;
    if (await exists(dir)) {
      const entries = await readdir(dir);
      if (entries.length > 0) throw new WorkFolderError(`the work folder ${dir} exists and is not a git clone; remove it or pass another --work-dir`);
      await rm(dir, { recursive: true });
    }

    // Clone next to the folder and rename, so that a crash never leaves a half clone in
    // place. Half clones of earlier processes are removed; the lock keeps out live ones.
    const prefix = `${path.basename(dir)}.clone-`;
    for (const entry of await readdir(path.dirname(dir))) {
      if (entry.startsWith(prefix)) await rm(path.join(path.dirname(dir), entry), { recursive: true, force: true });
    }
    const temporary = `${dir}.clone-${process.pid}`;
    const git = createGitClient(path.dirname(dir), this.options.git, signal);
    await gitStep("clone", signal, () => git.raw(["clone", "--branch", branch, "--single-branch", "--no-tags", "--origin", "origin", "--", remote, temporary]));
    await rename(temporary, dir);
    logger.info({ workDir: dir, remote, branch }, "repository cloned");
  }

  private async checkExistingClone(signal: AbortSignal | undefined): Promise<void> {
    const { dir, remote, logger } = this.options;
    const git = this.client(signal);
    const origin = (await gitStep("remote", signal, () => git.raw(["remote", "get-url", "origin"]))).trim();
    if (origin !== remote) {
      throw new WorkFolderError(`the work folder ${dir} is a clone of ${origin}, not of ${remote}; remove it or pass another --work-dir`);
    }
    await this.removeStaleIndexLock();
    await this.abortUnfinishedRebase(git);
    logger.info({ workDir: dir, remote }, "work folder reused");
  }

  /** Removes an `index.lock` left by a git process that died with a previous wid, because it blocks every later command. */
  private async removeStaleIndexLock(): Promise<void> {
    const lockFile = path.join(this.options.dir, ".git", "index.lock");
    const deadline = Date.now() + INDEX_LOCK_WAIT_MS;
    while ((await exists(lockFile)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    if (!(await exists(lockFile))) return;
    this.options.logger.warn({ lockFile }, "stale git index lock removed");
    await rm(lockFile, { force: true });
  }

  private async abortUnfinishedRebase(git: SimpleGit): Promise<void> {
    const gitDir = path.join(this.options.dir, ".git");
    const inProgress = (await exists(path.join(gitDir, "rebase-merge"))) || (await exists(path.join(gitDir, "rebase-apply")));
    if (!inProgress) return;
    this.options.logger.warn({ workDir: this.options.dir }, "unfinished rebase aborted");
    await git.raw(["rebase", "--abort"]).catch(() => undefined);
    await rm(path.join(gitDir, "rebase-merge"), { recursive: true, force: true });
    await rm(path.join(gitDir, "rebase-apply"), { recursive: true, force: true });
  }
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

async function isGitWorkTree(dir: string): Promise<boolean> {
  return exists(path.join(dir, ".git"));
}
