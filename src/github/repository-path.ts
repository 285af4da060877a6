import { realpath } from "node:fs/promises";
import path from "node:path";

import type { GitEnvironment } from "../git/client.js";
import { createLocalGitClient } from "../git/client.js";

/**
 * Returns the config folder's path from the root of its git repository, with `/` separators,
 * or `""` when the folder is the root. Annotations need paths from the repository root,
 * while the loader reports paths from the config folder. Without a git work tree the
 * root is `fallbackRoot` (`GITHUB_WORKSPACE` in Actions), then the config folder itself.
 * git runs in `gitEnvironment` scrubbed of git's own variables (see `createLocalGitClient`).
 */
export async function configPathInRepository(configRoot: string, gitEnvironment: GitEnvironment, fallbackRoot?: string): Promise<string> {
  const root = (await gitTopLevel(configRoot, gitEnvironment)) ?? fallbackRoot ?? configRoot;
  const [realRoot, realConfig] = await Promise.all([realpath(root).catch(() => path.resolve(root)), realpath(configRoot).catch(() => path.resolve(configRoot))]);
  const relative = path.relative(realRoot, realConfig);
  if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) return "";
  return relative.split(path.sep).join("/");
}

async function gitTopLevel(dir: string, environment: GitEnvironment): Promise<string | undefined> {
  try {
    const git = createLocalGitClient(dir, environment);
    if (!(await git.checkIsRepo())) return undefined;
    return (await git.revparse(["--show-toplevel"])).trim();
  } catch {
    return undefined;
  }
}
