import { randomBytes } from "node:crypto";
import { link, open, readFile, rename, rm } from "node:fs/promises";

import { ExpectedError } from "../errors/expected.js";
import { systemErrorCode } from "../fs/error-code.js";

/** A lock file that holds the id of the process that owns a work folder. */
export interface FolderLock {
  /** Path of the lock file. */
  path: string;
  /** Id of the process that held the lock before and is gone, or null. */
  staleOwner: number | null;
  release(): Promise<void>;
}

/** The work folder is locked by another running process. */
export class FolderLockedError extends ExpectedError {
  readonly kind = "locked";

  constructor(
    readonly lockPath: string,
    readonly owner: number,
  ) {
    super(`the work folder is in use by process ${owner} (lock file ${lockPath}); stop that process or pass another --work-dir`);
    this.name = "FolderLockedError";
  }
}

/** Number of attempts to take a lock before giving up on a lock file that keeps changing. */
const MAX_LOCK_ATTEMPTS = 5;

/**
 * Takes the lock at `lockPath` for this process. A lock left by a process that no
 * longer runs, such as one killed with SIGKILL, is taken over and reported in
 * `staleOwner`. Throws {@link FolderLockedError} when a running process holds it.
 *
 * A stale lock is moved aside by a rename before the new one is created, and only one
 * of several processes that race for it can move it, so exactly one of them gets the lock.
 *
 * NOTE: liveness is checked with signal 0, so a lock whose process id was reused by an
 * unrelated process counts as held until that process exits.
 */
export async function acquireFolderLock(lockPath: string, pid = process.pid): Promise<FolderLock> {
  let staleOwner: number | null = null;
  for (let attempt = 0; attempt < MAX_LOCK_ATTEMPTS; attempt++) {
    try {
      const handle = await open(lockPath, "wx");
      await handle.writeFile(`${pid}\n`, "utf8");
      await handle.close();
      return { path: lockPath, staleOwner, release: () => releaseLock(lockPath, pid) };
    } catch (error) {
      if (systemErrorCode(error) !== "EEXIST") throw error;
    }
    const owner = await readOwner(lockPath);
    if (owner !== null && owner !== pid && isRunning(owner)) throw new FolderLockedError(lockPath, owner);
    if (await moveStaleLock(lockPath, owner)) staleOwner = owner;
  }
  throw new Error(`could not take the lock file ${lockPath}; another process keeps creating it`);
}

/**
 * Moves the lock file aside when it still names `staleOwner`, and returns whether it
 * did. When another process took the lock over since it was read, its lock is put
 * back and {@link FolderLockedError} is thrown.
 */
async function moveStaleLock(lockPath: string, staleOwner: number | null): Promise<boolean> {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await rename(lockPath, aside);
  } catch (error) {
    // Another taker moved it first; the next attempt creates the lock or finds theirs.
    if (systemErrorCode(error) === "ENOENT") return false;
    throw error;
  }

  const moved = await readOwner(aside);
  if (moved === staleOwner || moved === null || !isRunning(moved)) {
    await rm(aside, { force: true });
    return true;
  }
  // The moved file was the new lock of a live process, so it goes back in place.
  await link(aside, lockPath).catch(() => undefined);
  await rm(aside, { force: true });
  throw new FolderLockedError(lockPath, moved);
}

async function readOwner(lockPath: string): Promise<number | null> {
  const text = await readFile(lockPath, "utf8").catch(() => "");
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return systemErrorCode(error) === "EPERM";
  }
}

async function releaseLock(lockPath: string, pid: number): Promise<void> {
  if ((await readOwner(lockPath)) === pid) await rm(lockPath, { force: true });
}
