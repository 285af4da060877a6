import { lstat } from "node:fs/promises";
import path from "node:path";

/**
 * Returns the first component of `relative` under `root` that is a symbolic link, as a
 * path relative to `root` with `/` separators, or undefined when there is none. A
 * component that does not exist ends the check, because nothing below it exists. `root`
 * itself may be a link: the caller chose it.
 *
 * NOTE: between this check and a write, another process may swap a folder for a link.
 * Callers that write therefore also open the file with O_NOFOLLOW.
 */
export async function firstSymbolicLink(root: string, relative: string): Promise<string | undefined> {
  const parts = insidePath(root, relative);
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i);
    let isLink: boolean;
    try {
      isLink = (await lstat(path.join(root, ...prefix))).isSymbolicLink();
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    if (isLink) return prefix.join("/");
  }
  return undefined;
}

/**
 * Splits `relative` into its components, and throws when it is absolute or leaves
 * `root` through `..`, so that no caller writes outside the folder it names.
 */
export function insidePath(root: string, relative: string): string[] {
  const resolved = path.relative(root, path.resolve(root, relative));
  if (path.isAbsolute(relative) || resolved === "" || resolved === ".." || resolved.startsWith(`..${path.sep}`) || path.isAbsolute(resolved)) {
    throw new Error(`${relative} is not a path inside ${root}`);
  }
  return resolved.split(path.sep);
}

function isMissing(error: unknown): boolean {
  const code = error instanceof Error && "code" in error ? error.code : undefined;
  return code === "ENOENT" || code === "ENOTDIR";
}
