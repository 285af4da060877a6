import { access, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { resolveGitAuth } from "../../src/git/auth.js";
import type { GitAuth } from "../../src/git/auth.js";
import { GitOperationError } from "../../src/git/errors.js";
import { publishStatus } from "../../src/git/publish.js";
import { parseRepoLocation } from "../../src/git/url.js";
import { WorkFolder } from "../../src/git/work-folder.js";
import { captureLogger } from "../daemon/harness.js";
import { GitFixture, TEST_GIT_ENV } from "./fixture.js";
import { startGitHttpServer } from "./git-http-server.js";
import type { GitHttpServer } from "./git-http-server.js";

const TOKEN = "ghs_test0token0that0must0never0leak";
const never = new AbortController().signal;

let fixture: GitFixture;
let server: GitHttpServer;
let home: string;
const folders: WorkFolder[] = [];

beforeAll(async () => {
  fixture = await GitFixture.create();
  server = await startGitHttpServer({ projectRoot: fixture.root, username: "x-access-token", token: TOKEN });
  // A host whose git config stores every credential git uses, as `credential.helper=store` does.
  home = await mkdtemp(path.join(tmpdir(), "wid-home-"));
  await writeFile(path.join(home, ".gitconfig"), "[credential]\n\thelper = store\n", "utf8");
});

afterAll(async () => {
  await server.stop();
  await fixture.cleanup();
  await rm(home, { recursive: true, force: true });
});

afterEach(async () => {
  for (const folder of folders.splice(0)) await folder.close();
  await rm(fixture.workDir, { recursive: true, force: true });
});

async function open(remote: string, auth: GitAuth): Promise<WorkFolder> {
  const folder = await WorkFolder.open({
    dir: fixture.workDir,
    remote,
    branch: "main",
    subdir: "",
    git: { auth, environment: { ...TEST_GIT_ENV, HOME: home }, author: { name: "wid", email: "wid@example.com" } },
    logger: captureLogger().logger,
  });
  folders.push(folder);
  return folder;
}

describe("git credentials", () => {
  it("sends the token from the environment", async () => {
    const { auth } = resolveGitAuth({ gitToken: TOKEN, gitUsername: undefined }, undefined);
    const folder = await open(`${server.url}/remote.git`, auth);
    await folder.sync(never);
    await mkdir(path.join(folder.dir, ".wid"), { recursive: true });
    await writeFile(path.join(folder.dir, ".wid/status.yaml"), "state: pushed over http\n", "utf8");

    const result = await publishStatus({ git: folder.client(never), dir: folder.dir, branch: "main", statusPath: ".wid/status.yaml", message: "status", signal: never, logger: captureLogger().logger });

    expect(result.commit).not.toBeNull();
    expect(await fixture.remoteFile(".wid/status.yaml")).toBe("state: pushed over http\n");
    expect(server.authorizations).toContain(`Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString("base64")}`);
  });

  it("keeps the token out of the clone", async () => {
    const { auth } = resolveGitAuth({ gitToken: TOKEN, gitUsername: undefined }, undefined);
    const folder = await open(`${server.url}/remote.git`, auth);
    await folder.sync(never);

    const config = await readFile(path.join(folder.dir, ".git", "config"), "utf8");

    expect(config).not.toContain(TOKEN);
    expect(config).not.toContain("credential");
    expect(config).toContain(`url = ${server.url}/remote.git`);
    await expect(access(path.join(home, ".git-credentials"))).rejects.toThrow();
  });

  it("moves URL credentials out of the remote", async () => {
    const port = new URL(server.url).port;
    const location = parseRepoLocation(`http://x-access-token:${TOKEN}@127.0.0.1:${port}/remote.git`, "/");
    const { auth, source } = resolveGitAuth({ gitToken: undefined, gitUsername: undefined }, location.credentials);
    const folder = await open(location.remote, auth);

    await folder.sync(never);

    expect(source).toBe("url");
    expect(location.remote).toBe(`${server.url}/remote.git`);
    const config = await readFile(path.join(folder.dir, ".git", "config"), "utf8");
    expect(config).not.toContain(TOKEN);
  });

  it("fails clearly with a wrong token", async () => {
    const opened = open(`${server.url}/remote.git`, { token: "wrong-token-value", username: "x-access-token" });

    const error = await opened.then(
      () => undefined,
      (failure: unknown) => failure,
    );

    expect(error).toBeInstanceOf(GitOperationError);
    expect(String(error)).toMatch(/git clone failed: .*Authentication failed/);
    expect(String(error)).not.toContain("wrong-token-value");
  });

  it("fails without waiting for a prompt", async () => {
    const started = Date.now();

    const opened = open(`${server.url}/remote.git`, { token: undefined, username: "x-access-token" });

    await expect(opened).rejects.toThrow(/terminal prompts disabled|could not read Username/);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

describe("ssh remotes", () => {
  it("runs GIT_SSH_COMMAND", async () => {
    // An ssh stand-in that records its call and runs the remote command locally, so no host is contacted.
    const shim = path.join(home, "fake-ssh");
    const calls = path.join(home, "fake-ssh.calls");
    await writeFile(shim, `#!/bin/sh\necho "$@" >> "${calls}"\nwhile [ "$#" -gt 1 ]; do shift; done\nexec sh -c "$1"\n`, { mode: 0o755 });
    const folder = await WorkFolder.open({
      dir: fixture.workDir,
      remote: `ssh://git@git.example.invalid${fixture.remote}`,
      branch: "main",
      subdir: "",
      git: { auth: { token: undefined, username: "x-access-token" }, environment: { ...TEST_GIT_ENV, HOME: home, GIT_SSH_COMMAND: shim }, author: { name: "wid", email: "wid@example.com" } },
      logger: captureLogger().logger,
    });
    folders.push(folder);

    const synced = await folder.sync(never);

    expect(synced.head).toBe(await fixture.remoteHead());
    expect(await readFile(calls, "utf8")).toContain("git@git.example.invalid");
  });
});
