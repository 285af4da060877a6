import type { FileHandle } from "node:fs/promises";
import { open, rm } from "node:fs/promises";

import { systemErrorCode } from "../fs/error-code.js";
import { IssuerError } from "./errors.js";

/**
 * Runs `update` while holding `FILE.lock` next to the key set file, so that two
 * commands that read, change and rewrite the key set (`wid issuer rotate`, `retire`)
 * cannot both start from the same version and lose the other's key. The lock is a
 * file created exclusively and removed when `update` ends. A lock left behind by a
 * killed command stays until someone removes it, as the error message explains.
 */
export async function withKeyFileLock<T>(file: string, update: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  let handle: FileHandle;
  try {
    handle = await open(lock, "wx", 0o600);
  } catch (error) {
    if (systemErrorCode(error) === "EEXIST") {
      throw new IssuerError(`${lock} exists, so another wid issuer rotate or retire is changing ${file}; try again when it has finished, or remove ${lock} if no such command is running`);
    }
    throw new IssuerError(`failed to create ${lock} (${systemErrorCode(error) ?? String(error)}); make the folder of the key set file writable`, { cause: error });
  }
  try {
    await handle.writeFile(`${process.pid}\n`);
    await handle.close();
    return await update();
  } finally {
    await rm(lock, { force: true });
  }
}
