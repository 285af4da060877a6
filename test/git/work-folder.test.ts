import { spawnSync } from "node:child_process";
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { GitOperationError } from "../../src/git/errors.js";
import { acquireFolderLock, FolderLockedError } from "../../src/git/lock.js";
import { WorkFolder, WorkFolderError } from "../../src/git/work-folder.js";
import type { WorkFolderOptions } from "../../src/git/work-folder.js";
import { captureLogger } from "../daemon/harness.js";
import { git, GitFixture, TEST_GIT_ENV } from "./fixture.js";

const fixtures: GitFixture[] = [];
const folders: WorkFolder[] = [];

afterEach(async () => {
  for (const folder of folders.splice(0)) await folder.close();
  for (const fixture of fixtures.splice(0)) await fixture.cleanup();
});

async function newFixture(options: Parameters<typeof GitFixture.create>[0] = {}): Promise<GitFixture> {
  const fixture = await GitFixture.create(options);
  fixtures.push(fixture);
  return fixture;
}

function folderOptions(fixture: GitFixture, overrides: Partial<WorkFolderOptions> = {}): WorkFolderOptions {
  return {
    dir: fixture.workDir,
    remote: fixture.remote,
    branch: fixture.branch,
    subdir: "",
    git: { auth: { token: undefined, username: "x-access-token" }, environment: TEST_GIT_ENV, author: { name: "wid", email: "wid@example.com" } },
    logger: captureLogger().logger,
    ...overrides,
  };
}

async function open(options: WorkFolderOptions): Promise<WorkFolder> {
  const folder = await WorkFolder.open(options);
  folders.push(folder);
  return folder;
}

const never = new AbortController().signal;

describe("WorkFolder", () => {
  it("clones once and reuses the clone", async () => {
    const fixture = await newFixture();
    const first = captureLogger();
    const folder = await open(folderOptions(fixture, { logger: first.logger }));
    expect(first.messages()).toContain("repository cloned");
    await folder.close();
    folders.pop();

    const second = captureLogger();
    await open(folderOptions(fixture, { logger: second.logger }));
    expect(second.messages()).toContain("work folder reused");
    expect(second.messages()).not.toContain("repository cloned");
  });

  it("syncs to the remote head and discards local changes", async () => {
    const fixture = await newFixture();
    const folder = await open(folderOptions(fixture));
    await folder.sync(never);

    // Leave behind what a crashed run could: an edit, an untracked file and an unpushed commit.
    await writeFile(path.join(folder.dir, "settings.yaml"), "garbage", "utf8");
    await writeFile(path.join(folder.dir, "leftover.tmp"), "x", "utf8");
    await git(["-c", "user.name=x", "-c", "user.email=x@x", "commit", "--quiet", "--all", "--message", "local only"], folder.dir);
    await writeFile(path.join(folder.dir, "untracked.yaml"), "y", "utf8");
    const pushed = await fixture.commit({ "workloads/extra.yaml": "apiVersion: wid/v1\nkind: Workload\nmetadata: { name: extra, project: shop }\nspec: { type: job, tags: [] }\n" }, "Add a workload");

    const synced = await folder.sync(never);

    expect(synced.head).toBe(pushed);
    expect(synced.revision).toBe(pushed);
    expect(await readFile(path.join(folder.dir, "settings.yaml"), "utf8")).toBe(await fixture.seedFile("settings.yaml"));
    await expect(access(path.join(folder.dir, "leftover.tmp"))).rejects.toThrow();
    await expect(access(path.join(folder.dir, "untracked.yaml"))).rejects.toThrow();
  });

  it("skips status commits when finding the config revision", async () => {
    const fixture = await newFixture();
    const config = await fixture.commit({ "workloads/a.yaml": "apiVersion: wid/v1\nkind: Workload\nmetadata: { name: a, project: shop }\nspec: { type: job, tags: [] }\n" }, "Add workload a");
    const status = await fixture.commit({ ".wid/status.yaml": "# status\n" }, `Update wid status\n\nWid-Config-Revision: ${config}`);
    const folder = await open(folderOptions(fixture));

    const synced = await folder.sync(never);

    expect(synced.head).toBe(status);
    expect(synced.revision).toBe(config);
  });

  it("ignores commits outside the config path", async () => {
    const fixture = await newFixture({ subdir: "platform/wid" });
    const config = (await fixture.remoteLog())[0]?.sha;
    await fixture.commit({ "README.md": "# monorepo\n" }, "Document the repository");
    const folder = await open(folderOptions(fixture, { subdir: "platform/wid" }));

    const synced = await folder.sync(never);

    expect(synced.revision).toBe(config);
    expect(folder.configDir).toBe(path.join(fixture.workDir, "platform", "wid"));
  });

  it("rejects a config path missing from the branch", async () => {
    const fixture = await newFixture();
    const folder = await open(folderOptions(fixture, { subdir: "does/not/exist" }));

    const sync = folder.sync(never);

    await expect(sync).rejects.toThrow(WorkFolderError);
    await expect(sync).rejects.toThrow(/does\/not\/exist does not exist on branch main/);
  });

  it("rejects a clone of another repository", async () => {
    const fixture = await newFixture();
    const other = await newFixture();
    const folder = await open(folderOptions(fixture));
    await folder.close();
    folders.pop();

    const reopened = WorkFolder.open(folderOptions(fixture, { remote: other.remote }));

    await expect(reopened).rejects.toThrow(WorkFolderError);
    await expect(reopened).rejects.toThrow(/is a clone of .*remote\.git, not of/);
  });

  it("rejects a folder that is not a clone", async () => {
    const fixture = await newFixture();
    await mkdir(fixture.workDir, { recursive: true });
    await writeFile(path.join(fixture.workDir, "notes.txt"), "mine", "utf8");

    await expect(WorkFolder.open(folderOptions(fixture))).rejects.toThrow(/exists and is not a git clone/);
  });

  it("rejects a folder locked by a running process", async () => {
    const fixture = await newFixture();
    await writeFile(`${fixture.workDir}.lock`, `${process.ppid}\n`, "utf8");

    const opened = WorkFolder.open(folderOptions(fixture));

    await expect(opened).rejects.toThrow(FolderLockedError);
    await expect(opened).rejects.toThrow(`in use by process ${process.ppid}`);
  });

  it("takes over the lock of a dead process", async () => {
    const fixture = await newFixture();
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    await writeFile(`${fixture.workDir}.lock`, `${dead}\n`, "utf8");
    const captured = captureLogger();

    await open(folderOptions(fixture, { logger: captured.logger }));

    const warning = captured.entries().find((entry) => entry.msg === "stale work folder lock taken over");
    expect(warning?.staleOwner).toBe(dead);
    expect(await readFile(`${fixture.workDir}.lock`, "utf8")).toBe(`${process.pid}\n`);
  });

  it("gives a stale lock to one taker", async () => {
    const folder = await mkdtemp(path.join(tmpdir(), "wid-lock-"));
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;

    // Two live processes race for the same stale lock, and each round must have one winner.
    for (let round = 0; round < 100; round++) {
      const lockPath = path.join(folder, `work-${round}.lock`);
      await writeFile(lockPath, `${dead}\n`, "utf8");
      const results = await Promise.allSettled([acquireFolderLock(lockPath, process.pid), acquireFolderLock(lockPath, process.ppid)]);

      expect(results.filter((result) => result.status === "fulfilled"), `round ${round}`).toHaveLength(1);
    }
    await rm(folder, { recursive: true, force: true });
  });

  it("removes half clones of crashed runs", async () => {
    const fixture = await newFixture();
    const halfClone = `${fixture.workDir}.clone-999999`;
    await mkdir(path.join(halfClone, ".git"), { recursive: true });

    const folder = await open(folderOptions(fixture));

    await expect(access(halfClone)).rejects.toThrow();
    expect((await folder.sync(never)).head).toBe(await fixture.remoteHead());
  });

  it("aborts a rebase left by a crash", async () => {
    const fixture = await newFixture();
    const folder = await open(folderOptions(fixture));
    await folder.sync(never);
    // A conflicting local commit and a rebase stopped on it, as after a crash mid-rebase.
    await writeFile(path.join(folder.dir, "settings.yaml"), "local: 1\n", "utf8");
    await git(["-c", "user.name=x", "-c", "user.email=x@x", "commit", "--quiet", "--all", "--message", "local"], folder.dir);
    const remote = await fixture.commit({ "settings.yaml": "remote: 1\n" }, "Change settings");
    await git(["fetch", "--quiet", "origin"], folder.dir);
    await git(["-c", "user.name=x", "-c", "user.email=x@x", "rebase", "origin/main"], folder.dir).catch(() => undefined);
    await expect(access(path.join(folder.dir, ".git", "rebase-merge"))).resolves.toBeUndefined();

    const synced = await folder.sync(never);

    expect(synced.head).toBe(remote);
    await expect(access(path.join(folder.dir, ".git", "rebase-merge"))).rejects.toThrow();
  });

  it("names the branch when it is missing", async () => {
    const fixture = await newFixture();

    const opened = WorkFolder.open(folderOptions(fixture, { branch: "release" }));

    await expect(opened).rejects.toThrow(GitOperationError);
    await expect(opened).rejects.toThrow(/git clone failed: .*release/);
  });
});
