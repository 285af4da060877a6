import { simpleGit } from "simple-git";

/**
 * Returns the commit checked out in the git work tree that contains `dir`, or null
 * when `dir` is not inside a git work tree or the repository has no commits.
 */
export async function headRevision(dir: string): Promise<string | null> {
  try {
    const git = simpleGit({ baseDir: dir });
    if (!(await git.checkIsRepo())) return null;
    return (await git.revparse(["HEAD"])).trim();
  } catch {
    return null;
  }
}
