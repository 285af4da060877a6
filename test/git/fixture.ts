import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The example config repository of this project. */
export const EXAMPLE_CONFIG = fileURLToPath(new URL("../../examples/config-repo", import.meta.url));

/** Environment for test git commands: no user config, a fixed identity, English messages. */
export const TEST_GIT_ENV: Record<string, string> = {
  PATH: process.env.PATH ?? "",
  HOME: tmpdir(),
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_AUTHOR_NAME: "Platform Team",
  GIT_AUTHOR_EMAIL: "platform@example.com",
  GIT_COMMITTER_NAME: "Platform Team",
  GIT_COMMITTER_EMAIL: "platform@example.com",
  LC_ALL: "C",
};

/** Runs git with the test environment and returns its standard output. */
export async function git(args: readonly string[], cwd: string): Promise<string> {
  const { stdout } = await run("git", [...args], { cwd, env: TEST_GIT_ENV, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** A commit on the remote branch, newest first in {@link GitFixture.remoteLog}. */
export interface RemoteCommit {
  sha: string;
  subject: string;
  body: string;
  author: string;
  files: string[];
}

/**
 * A bare repository in a temporary folder as the remote, and a second clone, the
 * "seed", through which the tests push config commits as a platform team would.
 */
export class GitFixture {
  private constructor(
    /** Temporary folder that contains everything. */
    readonly root: string,
    readonly branch: string,
  ) {}

  /** The bare repository. */
  get remote(): string {
    return path.join(this.root, "remote.git");
  }

  /** The team's clone. */
  get seed(): string {
    return path.join(this.root, "seed");
  }

  /** A work folder path for wid. */
  get workDir(): string {
    return path.join(this.root, "work");
  }

  /**
   * Creates the remote with one commit holding `config` (default: the example
   * repository) under `subdir` (default: the root).
   */
  static async create(options: { config?: string; subdir?: string; branch?: string; extraFiles?: Record<string, string> } = {}): Promise<GitFixture> {
    const root = await mkdtemp(path.join(tmpdir(), "wid-git-"));
    const fixture = new GitFixture(root, options.branch ?? "main");
    await git(["init", "--quiet", "--bare", `--initial-branch=${fixture.branch}`, fixture.remote], root);
    await git(["init", "--quiet", `--initial-branch=${fixture.branch}`, fixture.seed], root);
    await git(["remote", "add", "origin", fixture.remote], fixture.seed);

    const target = path.join(fixture.seed, ...(options.subdir ?? "").split("/").filter((part) => part !== ""));
    await mkdir(target, { recursive: true });
    await cp(options.config ?? EXAMPLE_CONFIG, target, { recursive: true });
    for (const [file, text] of Object.entries(options.extraFiles ?? {})) {
      await mkdir(path.dirname(path.join(fixture.seed, file)), { recursive: true });
      await writeFile(path.join(fixture.seed, file), text, "utf8");
    }
    await git(["add", "--all"], fixture.seed);
    await git(["commit", "--quiet", "--message", "Add the config repository"], fixture.seed);
    await git(["push", "--quiet", "origin", `HEAD:refs/heads/${fixture.branch}`], fixture.seed);
    return fixture;
  }

  /**
   * Commits file changes through the seed clone on top of the current remote head and
   * pushes them: a string writes the file, null deletes it. Returns the new commit.
   */
  async commit(files: Record<string, string | null>, message: string): Promise<string> {
    await git(["fetch", "--quiet", "origin"], this.seed);
    await git(["reset", "--quiet", "--hard", `origin/${this.branch}`], this.seed);
    for (const [file, text] of Object.entries(files)) {
      const target = path.join(this.seed, file);
      if (text === null) {
        await rm(target, { force: true });
      } else {
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, text, "utf8");
      }
    }
    await git(["add", "--all"], this.seed);
    await git(["commit", "--quiet", "--message", message], this.seed);
    await git(["push", "--quiet", "origin", `HEAD:refs/heads/${this.branch}`], this.seed);
    return (await git(["rev-parse", "HEAD"], this.seed)).trim();
  }

  /** Reads a file from the remote branch, or returns null when it does not exist there. */
  async remoteFile(file: string, ref = this.branch): Promise<string | null> {
    try {
      return await git(["show", `${ref}:${file}`], this.remote);
    } catch {
      return null;
    }
  }

  /** Reads a file of the seed's working copy after `commit`. */
  async seedFile(file: string): Promise<string> {
    return readFile(path.join(this.seed, file), "utf8");
  }

  async remoteHead(): Promise<string> {
    return (await git(["rev-parse", this.branch], this.remote)).trim();
  }

  /** Lists the commits of the remote branch, newest first, with the files each changed. */
  async remoteLog(): Promise<RemoteCommit[]> {
    const separator = "\u001e";
    const text = await git(["log", `--format=${separator}%H%x00%an <%ae>%x00%s%x00%b%x00`, "--name-only", this.branch], this.remote);
    return text
      .split(separator)
      .filter((chunk) => chunk.trim() !== "")
      .map((chunk) => {
        const [sha = "", author = "", subject = "", body = "", files = ""] = chunk.split("\u0000");
        return { sha, author, subject, body, files: files.split("\n").filter((line) => line.trim() !== "") };
      });
  }

  async cleanup(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}
