import { describe, expect, it } from "vitest";

import { resolveGitAuth } from "../../src/git/auth.js";
import { STATUS_COMMIT_TRAILER, statusCommitMessage } from "../../src/git/commit-message.js";
import { parseRepoLocation, stripUrlCredentials } from "../../src/git/url.js";

describe("parseRepoLocation", () => {
  it.each([
    ["https://github.com/acme/config.git", "https://github.com/acme/config.git", undefined],
    ["https://x-access-token:ghs_abc@github.com/acme/config.git", "https://github.com/acme/config.git", { username: "x-access-token", password: "ghs_abc" }],
    ["https://ghp_onlytoken@github.com/acme/config.git", "https://github.com/acme/config.git", { username: undefined, password: "ghp_onlytoken" }],
    ["https://user:p%40ss@git.example.com/config.git", "https://git.example.com/config.git", { username: "user", password: "p@ss" }],
    ["ssh://git@github.com/acme/config.git", "ssh://git@github.com/acme/config.git", undefined],
    ["ssh://git:secret@github.com/acme/config.git", "ssh://git@github.com/acme/config.git", undefined],
    ["git@github.com:acme/config.git", "git@github.com:acme/config.git", undefined],
    ["file:///srv/git/config.git", "file:///srv/git/config.git", undefined],
    ["/srv/git/config.git", "/srv/git/config.git", undefined],
    ["../config.git", "/work/config.git", undefined],
  ])("parses %s", (repo, remote, credentials) => {
    const location = parseRepoLocation(repo, "/work/here");

    expect(location.remote).toBe(remote);
    expect(location.credentials).toEqual(credentials);
  });
});

describe("stripUrlCredentials", () => {
  it.each([
    ["fatal: unable to access 'https://x:tok@github.com/a.git/'", "fatal: unable to access 'https://github.com/a.git/'"],
    ["https://tok@h/a and http://u:p@h/b", "https://h/a and http://h/b"],
    ["ssh://git:pw@host/repo", "ssh://git@host/repo"],
    ["ssh://git@host/repo", "ssh://git@host/repo"],
    ["no url here", "no url here"],
  ])("strips %s", (text, expected) => {
    expect(stripUrlCredentials(text)).toBe(expected);
  });
});

describe("resolveGitAuth", () => {
  it("prefers the environment token", () => {
    const result = resolveGitAuth({ gitToken: "env-token", gitUsername: "robot" }, { username: "u", password: "url-token" });

    expect(result.auth).toEqual({ token: "env-token", username: "robot" });
    expect(result.source).toBe("environment");
    expect(result.urlCredentialsIgnored).toBe(true);
  });

  it("falls back to URL credentials", () => {
    const result = resolveGitAuth({ gitToken: undefined, gitUsername: undefined }, { username: undefined, password: "url-token" });

    expect(result.auth).toEqual({ token: "url-token", username: "x-access-token" });
    expect(result.source).toBe("url");
  });

  it("sends nothing without a token", () => {
    const result = resolveGitAuth({ gitToken: undefined, gitUsername: undefined }, undefined);

    expect(result.auth.token).toBeUndefined();
    expect(result.source).toBe("none");
  });
});

describe("statusCommitMessage", () => {
  it("names the revision and the changes", () => {
    const revision = "0123456789abcdef0123456789abcdef01234567";

    const message = statusCommitMessage({ revision, counts: { created: 3, updated: 1, deleted: 0, failed: 0, pending: 2, notApplied: 0 }, outcome: "success", suspended: false, identities: { installed: 4, invalid: 1, conflict: 0 } });

    const [subject, blank, ...rest] = message.split("\n");
    expect(subject).toBe("Update wid status for 0123456: 3 created, 1 updated, 0 deleted");
    expect(blank).toBe("");
    expect(rest).toContain(`Config revision: ${revision}`);
    expect(rest).toContain("Identities: 4 installed, 1 invalid.");
    expect(rest).toContain("Pending: 2 change(s) wait for install: true or for the end of a suspension.");
    expect(rest.some((line) => line.startsWith("Not applied:"))).toBe(false);
    expect(message.trimEnd().endsWith(`${STATUS_COMMIT_TRAILER}: ${revision}`)).toBe(true);
  });

  it("says when applying is suspended", () => {
    const message = statusCommitMessage({ revision: "abc", counts: { created: 0, updated: 0, deleted: 0, failed: 0, pending: 5, notApplied: 0 }, outcome: "success", suspended: true, identities: {} });

    expect(message).toContain("Applying is suspended");
    expect(message).toContain("Identities: none.");
  });

  it("counts offline changes apart from pending ones", () => {
    const message = statusCommitMessage({ revision: "abc", counts: { created: 0, updated: 0, deleted: 0, failed: 0, pending: 2, notApplied: 3 }, outcome: "success", suspended: false, identities: {} });

    expect(message).toContain("Pending: 2 change(s)");
    expect(message).toContain("Not applied: 3 planned change(s) wait for a run with cloud access.");
  });
});
