import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { localConfigRevision } from "../../src/git/revision.js";
import { git } from "./fixture.js";

describe("config revision", () => {
  let repo: string;
  const commit = async (files: Record<string, string>, message: string): Promise<string> => {
    for (const [file, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(repo, file)), { recursive: true });
      await writeFile(path.join(repo, file), content);
    }
    await git(["add", "-A"], repo);
    await git(["commit", "-q", "-m", message], repo);
    return (await git(["rev-parse", "HEAD"], repo)).trim();
  };

  beforeEach(async () => {
    repo = await mkdtemp(path.join(tmpdir(), "wid-revision-"));
    await git(["init", "-q", "-b", "main"], repo);
  });
  afterEach(async () => {
    await rm(repo, { recursive: true, force: true });
  });

  it("skips commits of the status file alone", async () => {
    const config = await commit({ "config/settings.yaml": "a\n" }, "Add the config");
    await commit({ "config/.wid/status.yaml": "revision: x\n" }, "Record the status");
    expect(await localConfigRevision(path.join(repo, "config"), ".wid/status.yaml", process.env)).toBe(config);
  });

  it("skips wid's status commits and changes outside the config", async () => {
    const config = await commit({ "config/settings.yaml": "a\n" }, "Add the config");
    await commit({ "config/settings.yaml": "b\n" }, `Update wid status\n\nWid-Config-Revision: ${config}\n`);
    await commit({ "README.md": "docs\n" }, "Write the README");
    expect(await localConfigRevision(path.join(repo, "config"), ".wid/status.yaml", process.env)).toBe(config);
  });

  it("moves with a change to the config", async () => {
    await commit({ "settings.yaml": "a\n" }, "Add the config");
    await commit({ ".wid/status.yaml": "revision: x\n" }, "Record the status");
    const changed = await commit({ "settings.yaml": "b\n", ".wid/status.yaml": "revision: y\n" }, "Change the settings");
    expect(await localConfigRevision(repo, ".wid/status.yaml", process.env)).toBe(changed);
  });

  it("returns HEAD for a config never committed", async () => {
    const head = await commit({ "README.md": "docs\n" }, "Write the README");
    await mkdir(path.join(repo, "config"));
    expect(await localConfigRevision(path.join(repo, "config"), ".wid/status.yaml", process.env)).toBe(head);
  });

  it("returns null outside a repository", async () => {
    const outside = await mkdtemp(path.join(tmpdir(), "wid-no-git-"));
    expect(await localConfigRevision(outside, ".wid/status.yaml", process.env)).toBeNull();
    await rm(outside, { recursive: true, force: true });
  });

  it("ignores GIT_DIR of the caller", async () => {
    const config = await commit({ "config/settings.yaml": "a\n" }, "Add the config");
    const other = await mkdtemp(path.join(tmpdir(), "wid-other-"));
    await git(["init", "-q", "-b", "main"], other);
    await writeFile(path.join(other, "file.txt"), "other\n");
    await git(["add", "-A"], other);
    await git(["commit", "-q", "-m", "Commit elsewhere"], other);
    const environment = { ...process.env, GIT_DIR: path.join(other, ".git"), GIT_WORK_TREE: other, GIT_CEILING_DIRECTORIES: tmpdir() };

    const revision = await localConfigRevision(path.join(repo, "config"), ".wid/status.yaml", environment);

    expect(revision).toBe(config);
    await rm(other, { recursive: true, force: true });
  });
});
