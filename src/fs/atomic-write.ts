import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { link, open, rename, rm, stat } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";

import { ExpectedError } from "../errors/expected.js";
import { systemErrorCode } from "./error-code.js";
import { firstSymbolicLink } from "./links.js";

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /**
   * Mode of the written file, such as 0o600 for keys and tokens, set even when the
   * process umask is narrower. Default: 0o666 less the umask, as `fs.writeFile` gives.
   */
  mode?: number;
  /** Flush the content to disk before the rename, so that it survives a power loss. Default false. */
  sync?: boolean;
  /** Fail with `EEXIST` when the file exists, instead of replacing it. Default false. */
  exclusive?: boolean;
  /**
   * Whether the new file gets the owner and group of the file it replaces, so that a run as root
   * does not take a file away from the service user that reads it. Only root can change
   * the owner, so for other users the new file keeps theirs. Default false.
   */
  keepOwner?: boolean;
  /**
   * A folder that contains the file. When set, the write is rejected with an
   * {@link UnsafePathError} if the file or a folder between `root` and it is a symbolic
   * link, so that a link in a repository cannot redirect the write outside it.
   */
  root?: string;
}

/** A write rejected because its path goes through a symbolic link. */
export class UnsafePathError extends ExpectedError {
  readonly kind = "unsafe-path";

  constructor(message: string) {
    super(message);
    this.name = "UnsafePathError";
  }
}

/** Flags of the temporary file: a new file, never an existing one and never through a link. */
const TEMPORARY_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

/**
 * Writes `content` to `file` through a temporary file in the same folder and a rename
 * over the old file. A rename within one file system is atomic, so a reader sees the
 * old content or the new one, never a missing, empty or partial file. The temporary
 * file has a random name and is opened with O_CREAT | O_EXCL | O_NOFOLLOW, so it never
 * reuses an existing file or follows a link planted in its place, and it is removed
 * when the write or the rename fails. The folder of `file` must exist.
 */
export async function writeFileAtomic(file: string, content: string, options: AtomicWriteOptions = {}): Promise<void> {
  if (options.root !== undefined) await rejectLinks(options.root, file);

  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const handle = await open(temporary, TEMPORARY_FLAGS, options.mode ?? 0o666);
    try {
      // The umask may have narrowed the mode given to open.
      if (options.mode !== undefined) await handle.chmod(options.mode);
      if (options.keepOwner === true) await copyOwner(file, handle);
      await handle.writeFile(content, "utf8");
      if (options.sync === true) await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.exclusive === true) {
      // link fails with EEXIST when the file exists, and never replaces it.
      await link(temporary, file);
      await rm(temporary, { force: true });
    } else {
      await rename(temporary, file);
    }
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Gives `handle` the owner and group of `file`, when `file` exists and this process may change them. */
async function copyOwner(file: string, handle: FileHandle): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (info === undefined) return;
  await handle.chown(info.uid, info.gid).catch((error: unknown) => {
    if (systemErrorCode(error) !== "EPERM") throw error;
  });
}

/** Throws an {@link UnsafePathError} when `file` or a folder between `root` and it is a symbolic link. */
export async function rejectLinks(root: string, file: string): Promise<void> {
  const relative = path.relative(root, file).split(path.sep).join("/");
  const found = await firstSymbolicLink(root, relative);
  if (found === undefined) return;
  const replacement = found === relative ? "file" : "folder";
  throw new UnsafePathError(`${relative} was not written because ${found} is a symbolic link, which could lead outside ${root}; replace the link with a regular ${replacement}`);
}
