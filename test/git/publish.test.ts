import { chmod, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { GitOperationError } from "../../src/git/errors.js";
import { publishStatus } from "../../src/git/publish.js";
import type { PublishOptions } from "../../src/git/publish.js";
import { WorkFolder } from "../../src/git/work-folder.js";
import { captureLogger } from "../daemon/harness.js";
import { git, GitFixture, TEST_GIT_ENV } from "./fixture.js";

const STATUS = ".wid/status.yaml";
const never = new AbortController().signal;
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Creates a remote with the example config, and wid's work folder synced to it. */
async function setup(): Promise<{ fixture: GitFixture; folder: WorkFolder }> {
  const fixture = await GitFixture.create();
  cleanups.push(() => fixture.cleanup());
  const folder = await WorkFolder.open({
    dir: fixture.workDir,
    remote: fixture.remote,
    branch: fixture.branch,
    subdir: "",
    git: { auth: { token: undefined, username: "x-access-token" }, environment: TEST_GIT_ENV, author: { name: "wid bot", email: "wid@example.com" } },
    logger: captureLogger().logger,
  });
  cleanups.push(() => folder.close());
  await folder.sync(never);
  return { fixture, folder };
}

async function writeStatus(folder: WorkFolder, text: string): Promise<void> {
  await mkdir(path.join(folder.dir, ".wid"), { recursive: true });
  await writeFile(path.join(folder.dir, STATUS), text, "utf8");
}

function options(folder: WorkFolder, overrides: Partial<PublishOptions> = {}): PublishOptions {
  return { git: folder.client(never), dir: folder.dir, branch: folder.branch, statusPath: STATUS, message: "Update wid status\n\nWid-Config-Revision: abc\n", signal: never, logger: captureLogger().logger, retryDelayMs: 1, ...overrides };
}

/** Installs a hook in the bare remote. */
async function installHook(fixture: GitFixture, name: string, script: string): Promise<void> {
  const file = path.join(fixture.remote, "hooks", name);
  await writeFile(file, script, "utf8");
  await chmod(file, 0o755);
}

describe("publishStatus", () => {
  it("commits only the status file and pushes it", async () => {
    const { fixture, folder } = await setup();
    await writeStatus(folder, "state: 1\n");
    await writeFile(path.join(folder.dir, "stray.yaml"), "not for commit\n", "utf8");

    const result = await publishStatus(options(folder));

    const [latest] = await fixture.remoteLog();
    expect(result.commit).toBe(latest?.sha);
    expect(result.attempts).toBe(1);
    expect(result.rebased).toBe(false);
    expect(latest?.files).toEqual([STATUS]);
    expect(latest?.author).toBe("wid bot <wid@example.com>");
    expect(latest?.subject).toBe("Update wid status");
    expect(await fixture.remoteFile(STATUS)).toBe("state: 1\n");
    expect(await fixture.remoteFile("stray.yaml")).toBeNull();
  });

  it("commits a status path with special characters", async () => {
    const { fixture, folder } = await setup();
    const statusPath = ".wid/stätus [*].yaml";
    await mkdir(path.join(folder.dir, ".wid"), { recursive: true });
    await writeFile(path.join(folder.dir, statusPath), "state: 1\n", "utf8");
    await writeFile(path.join(folder.dir, ".wid/stätus a.yaml"), "not for commit\n", "utf8");

    const result = await publishStatus(options(folder, { statusPath }));

    const [latest] = await fixture.remoteLog();
    expect(result.commit).toBe(latest?.sha);
    expect(await fixture.remoteFile(statusPath)).toBe("state: 1\n");
    expect(await fixture.remoteFile(".wid/stätus a.yaml")).toBeNull();
  });

  it("commits nothing when unchanged", async () => {
    const { fixture, folder } = await setup();
    await writeStatus(folder, "state: 1\n");
    await publishStatus(options(folder));
    const head = await fixture.remoteHead();
    await folder.sync(never);
    await writeStatus(folder, "state: 1\n");

    const result = await publishStatus(options(folder));

    expect(result).toEqual({ commit: null, attempts: 0, rebased: false });
    expect(await fixture.remoteHead()).toBe(head);
  });

  it("rebases over a concurrent config push", async () => {
    const { fixture, folder } = await setup();
    await writeStatus(folder, "state: 1\n");
    const concurrent = await fixture.commit({ "workloads/late.yaml": "# added while wid was planning\n" }, "Add a late file");
    const captured = captureLogger();

    const result = await publishStatus(options(folder, { logger: captured.logger }));

    const log = await fixture.remoteLog();
    expect(result.rebased).toBe(true);
    expect(result.attempts).toBe(2);
    expect(log[0]?.sha).toBe(result.commit);
    expect(log[0]?.files).toEqual([STATUS]);
    expect(log[1]?.sha).toBe(concurrent);
    expect(await fixture.remoteFile("workloads/late.yaml")).toBe("# added while wid was planning\n");
    expect(captured.messages()).toContain("push rejected; rebasing the status commit");
  });

  it("regenerates a conflicting status file", async () => {
    const { fixture, folder } = await setup();
    await writeStatus(folder, "state: wid\n");
    const edited = await fixture.commit({ [STATUS]: "state: edited by hand\n" }, "Edit the status by hand");
    const captured = captureLogger();

    const result = await publishStatus(options(folder, { logger: captured.logger }));

    const log = await fixture.remoteLog();
    expect(result.rebased).toBe(true);
    expect(log[0]?.sha).toBe(result.commit);
    expect(log[1]?.sha).toBe(edited);
    expect(await fixture.remoteFile(STATUS)).toBe("state: wid\n");
    expect(captured.messages()).toContain("status file conflict; regenerating it on the new head");
  });

  it("overrides a merged hand edit", async () => {
    const { fixture, folder } = await setup();
    const lines = Array.from({ length: 12 }, (_, index) => `line${index}: old`);
    await fixture.commit({ [STATUS]: `${lines.join("\n")}\n` }, "Commit a status file");
    await folder.sync(never);
    const ours = lines.map((line, index) => (index === 0 ? "line0: wid" : line));
    await writeStatus(folder, `${ours.join("\n")}\n`);
    const theirs = lines.map((line, index) => (index === 11 ? "line11: edited by hand" : line));
    await fixture.commit({ [STATUS]: `${theirs.join("\n")}\n` }, "Edit the status by hand");

    const result = await publishStatus(options(folder));

    expect(result.rebased).toBe(true);
    expect(await fixture.remoteFile(STATUS)).toBe(`${ours.join("\n")}\n`);
  });

  it("stops when the remote already matches", async () => {
    const { fixture, folder } = await setup();
    await writeStatus(folder, "state: same\n");
    const other = await fixture.commit({ [STATUS]: "state: same\n" }, "Another wid pushed the same status");

    const result = await publishStatus(options(folder));

    expect(result.commit).toBeNull();
    expect(result.rebased).toBe(true);
    expect(await fixture.remoteHead()).toBe(other);
  });

  it("fails without retry on a declined push", async () => {
    const { fixture, folder } = await setup();
    await installHook(fixture, "pre-receive", "#!/bin/sh\necho 'protected branch: pushes need a review' >&2\nexit 1\n");
    await writeStatus(folder, "state: 1\n");
    const captured = captureLogger();
    const head = await fixture.remoteHead();

    const publish = publishStatus(options(folder, { logger: captured.logger }));

    await expect(publish).rejects.toThrow(GitOperationError);
    await expect(publish).rejects.toThrow(/protected branch: pushes need a review/);
    expect(captured.messages()).not.toContain("push rejected; rebasing the status commit");
    expect(await fixture.remoteHead()).toBe(head);
  });

  it("gives up after the attempt limit", async () => {
    const { fixture, folder } = await setup();
    // Every push loses the race: the hook moves the branch before the push can update it.
    await installHook(
      fixture,
      "pre-receive",
      `#!/bin/sh
# Leave git's quarantine, which forbids ref updates inside pre-receive.
unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES
export GIT_AUTHOR_NAME=racer GIT_AUTHOR_EMAIL=racer@example.com GIT_COMMITTER_NAME=racer GIT_COMMITTER_EMAIL=racer@example.com
head=$(git rev-parse refs/heads/main)
tree=$(git rev-parse "$head^{tree}")
next=$(echo race | git commit-tree "$tree" -p "$head")
git update-ref refs/heads/main "$next" "$head"
`,
    );
    await writeStatus(folder, "state: 1\n");
    const captured = captureLogger();

    const publish = publishStatus(options(folder, { maxAttempts: 3, logger: captured.logger }));

    await expect(publish).rejects.toThrow(/rejected 3 times because the branch kept moving/);
    const retries = captured.messages().filter((message) => message === "push rejected; rebasing the status commit");
    expect(retries).toHaveLength(2);
    const log = await fixture.remoteLog();
    expect(log.every((commit) => !commit.files.includes(STATUS))).toBe(true);
  });

  it("never force-pushes over the remote", async () => {
    const { fixture, folder } = await setup();
    await writeStatus(folder, "state: 1\n");
    const concurrent = await fixture.commit({ "a.yaml": "# a\n" }, "Add a");

    await publishStatus(options(folder));

    const ancestors = await git(["rev-list", fixture.branch], fixture.remote);
    expect(ancestors.split("\n")).toContain(concurrent);
  });
});
