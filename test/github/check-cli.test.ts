import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { runCli } from "../support/cli.js";
import type { FakeGithub } from "../support/fake-github.js";
import { startFakeGithub } from "../support/fake-github.js";
import type { PullRequestRepository, RepositoryFiles } from "./fixtures.js";
import { appKeyPair, awsIdentity, exampleFiles, installedStatus, lineOf, pullRequestRepository, REPOSITORY, writePullRequestEvent } from "./fixtures.js";

const TOKEN = "ghp_test_workflow_token_0123456789";
/** The merge commit Actions puts in GITHUB_SHA on pull_request events; a check on it never shows. */
const MERGE_SHA = "f".repeat(40);
const APP = { id: 424242, slug: "wid-test", installation: 77 };

let fake: FakeGithub;
let scratch: string;
const repositories: PullRequestRepository[] = [];
const keys = appKeyPair();

beforeEach(async () => {
  fake = await startFakeGithub({ tokens: [TOKEN], app: { id: APP.id, slug: APP.slug, publicKeyPem: keys.publicKeyPem, installations: [APP.installation] } });
  scratch = mkdtempSync(path.join(tmpdir(), "wid-github-event-"));
});

afterEach(async () => {
  await fake.close();
  rmSync(scratch, { recursive: true, force: true });
  for (const repository of repositories.splice(0)) repository.remove();
});

/** Creates the pull request's repository locally and its head commit in the fake. */
function openPullRequest(base: RepositoryFiles, head: RepositoryFiles): PullRequestRepository {
  const repository = pullRequestRepository(base, head);
  repositories.push(repository);
  fake.commit(REPOSITORY, head, { sha: repository.headSha });
  return repository;
}

async function runCheck(repository: PullRequestRepository, options: { args?: string[]; env?: Record<string, string>; number?: number } = {}) {
  const eventPath = writePullRequestEvent(scratch, { number: options.number ?? 7, headSha: repository.headSha, baseSha: repository.baseSha });
  const env: Record<string, string> = {
    GITHUB_API_URL: fake.url,
    GITHUB_REPOSITORY: REPOSITORY,
    GITHUB_EVENT_NAME: "pull_request",
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_SHA: MERGE_SHA,
    GITHUB_WORKSPACE: repository.root,
    GITHUB_TOKEN: TOKEN,
    ...options.env,
  };
  return runCli(["github", "check", "config", ...(options.args ?? [])], { cwd: repository.root, env });
}

async function baseWithStatus(): Promise<RepositoryFiles> {
  const files = exampleFiles();
  return { ...files, "config/.wid/status.yaml": await installedStatus(files) };
}

function checkRunUpdates() {
  return fake.requestsTo("PATCH", /^\/repos\/acme\/identities\/check-runs\/\d+$/);
}

function updateBody(index: number): { status?: string; conclusion?: string; output: { title: string; summary: string; text?: string; annotations?: { path: string; start_line: number; annotation_level: string; title?: string; message: string }[] } } {
  return checkRunUpdates()[index]?.body as never;
}

const SHOP_ASSETS = "config/identities/aws-shop-assets.yaml";

function withShopAssetsDelete(files: RepositoryFiles): RepositoryFiles {
  const text = files[SHOP_ASSETS] as string;
  return { ...files, [SHOP_ASSETS]: text.replace("Action: [s3:GetObject, s3:PutObject]", "Action: [s3:GetObject, s3:PutObject, s3:DeleteObject]") };
}

describe("wid github check", () => {
  it("posts a clean change on the head commit", async () => {
    const base = await baseWithStatus();
    const head = withShopAssetsDelete(base);
    const repository = openPullRequest(base, head);

    const result = await runCheck(repository);

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const create = fake.requestsTo("POST", /^\/repos\/acme\/identities\/check-runs$/);
    expect(create).toHaveLength(1);
    expect(create[0]?.body).toMatchObject({ name: "wid plan", head_sha: repository.headSha, status: "in_progress" });
    expect(JSON.stringify(fake.requests.map((request) => request.body))).not.toContain(MERGE_SHA);

    expect(checkRunUpdates()).toHaveLength(1);
    const update = updateBody(0);
    expect(update.status).toBe("completed");
    expect(update.conclusion).toBe("success");
    expect(update.output.title).toBe("Offline plan: 0 to create, 1 to update, 0 to delete");
    expect(update.output.annotations).toEqual([
      {
        path: SHOP_ASSETS,
        start_line: lineOf(head[SHOP_ASSETS] as string, 'Version: "2012-10-17"'),
        end_line: lineOf(head[SHOP_ASSETS] as string, 'Version: "2012-10-17"'),
        annotation_level: "notice",
        title: "wid: aws-shop-assets",
        message: "will update role wid-aws-shop-assets: the permissions in the file differ from the installed ones",
        raw_details: "~ update role-policy/wid-aws-shop-assets/wid-permissions (aws-prod/aws-shop-assets): the permissions in the file differ from the installed ones",
      },
    ]);
    expect(update.output.summary).toContain("| ~ update | `role-policy/wid-aws-shop-assets/wid-permissions` | `aws-shop-assets` |");
    expect(update.output.summary).toContain("<details><summary>Full plan</summary>");
    expect(fake.checkRuns[0]?.conclusion).toBe("success");
    expect(result.stdout).toContain(`Check run ${fake.checkRuns[0]?.id} on ${repository.headSha.slice(0, 12)}: success: Offline plan: 0 to create, 1 to update, 0 to delete`);
  });

  it("fails a change with a validation error on its line", async () => {
    const base = await baseWithStatus();
    const broken = awsIdentity("aws-broken", ["s3:GetObject"]).replace("install: true", "install: maybe");
    const head = { ...base, "config/identities/aws-broken.yaml": broken };
    const repository = openPullRequest(base, head);

    const result = await runCheck(repository);

    expect(result.code).toBe(1);
    const update = updateBody(0);
    expect(update.conclusion).toBe("failure");
    expect(update.output.title).toBe("1 validation error; Offline plan: 0 to create, 0 to update, 0 to delete");
    const failures = (update.output.annotations ?? []).filter((annotation) => annotation.annotation_level === "failure");
    expect(failures).toHaveLength(1);
    expect(failures[0]?.path).toBe("config/identities/aws-broken.yaml");
    expect(failures[0]).toMatchObject({ start_line: lineOf(broken, "install: maybe"), start_column: 12, title: "wid schema-type" });
    expect(failures[0]?.message).toBe("spec.install: must be a boolean, not a string");
    expect(update.output.summary).toContain("**Validation:** 1 error, 0 warnings");
    expect(update.output.text).toContain("`config/identities/aws-broken.yaml:");
    expect(result.stdout).toContain(": failure: 1 validation error");
  });

  it("says why an offline plan is offline", async () => {
    const base = await baseWithStatus();
    const repository = openPullRequest(base, withShopAssetsDelete(base));

    // runCli points GOOGLE_APPLICATION_CREDENTIALS at a missing file, which is no credential.
    const fork = await runCheck(repository);
    const forkSummary = updateBody(0).output.summary;
    expect(fork.code).toBe(0);
    expect(updateBody(0).output.title).toMatch(/^Offline plan: /);
    expect(forkSummary).toContain("**Offline plan:** compared with `.wid/status.yaml`, not with the cloud, because this run has no cloud credentials (pull requests from forks get no secrets).");

    // --offline never reads the cloud, so these credentials are never sent anywhere.
    const forced = await runCheck(repository, { args: ["--offline"], env: { AWS_ACCESS_KEY_ID: "AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY: "example" } });
    expect(forced.code).toBe(0);
    expect(updateBody(1).output.title).toMatch(/^Offline plan: /);
    expect(updateBody(1).output.summary).toContain("because the check was run with --offline");
  });

  it("says when the status file is missing", async () => {
    const files = exampleFiles();
    const repository = openPullRequest(files, withShopAssetsDelete(files));

    const result = await runCheck(repository);

    expect(result.code).toBe(0);
    expect(updateBody(0).output.summary).toContain("`.wid/status.yaml` does not exist yet, so every identity is planned as new");
  });

  it("rejects --offline with --online", async () => {
    const base = await baseWithStatus();
    const repository = openPullRequest(base, base);

    const result = await runCheck(repository, { args: ["--offline", "--online"] });

    expect(result.code).toBe(1);
    expect(result.stderr).toBe("wid: error: pass either --offline or --online, not both\n");
    expect(fake.requests).toHaveLength(0);
  });

  it("is neutral when changes wait for install", async () => {
    const base = await baseWithStatus();
    const file = "config/identities/aws-audit-reader.yaml";
    const head = { ...base, [file]: (base[file] as string).replace("Action: [s3:GetObject, s3:ListBucket]", "Action: [s3:GetObject, s3:ListBucket, s3:GetObjectVersion]") };
    expect(head[file]).not.toBe(base[file]);
    const repository = openPullRequest(base, head);

    const result = await runCheck(repository);

    expect(result.code).toBe(0);
    const update = updateBody(0);
    expect(update.conclusion).toBe("neutral");
    expect(update.output.title).toBe("Offline plan: 0 to create, 0 to update, 0 to delete; 1 change pending install");
    expect(update.output.annotations?.[0]).toMatchObject({ path: file, title: "wid: aws-audit-reader (pending install)", annotation_level: "notice" });
    expect(update.output.annotations?.[0]?.message).toMatch(/^pending install \(install is false/);
    expect(update.output.summary).toContain("### Pending install");
  });

  it("sends 120 annotations in batches of 50", async () => {
    const files: RepositoryFiles = {
      "config/settings.yaml": exampleFiles()["config/settings.yaml"] as string,
      "config/integrations/aws-prod.yaml": exampleFiles()["config/integrations/aws-prod.yaml"] as string,
    };
    for (let i = 0; i < 119; i++) files[`config/identities/aws-many-${String(i).padStart(3, "0")}.yaml`] = awsIdentity(`aws-many-${String(i).padStart(3, "0")}`, ["s3:GetObject"]);
    const repository = openPullRequest({}, files);

    const result = await runCheck(repository);

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const updates = checkRunUpdates();
    expect(updates.map((request) => request.status)).toEqual([200, 200, 200]);
    expect([0, 1, 2].map((index) => updateBody(index).output.annotations?.length)).toEqual([50, 50, 20]);
    expect([0, 1, 2].map((index) => updateBody(index).status)).toEqual(["in_progress", "in_progress", "completed"]);
    expect([0, 1, 2].map((index) => updateBody(index).conclusion)).toEqual([undefined, undefined, "success"]);
    expect(updateBody(2).output.title).toBe("Offline plan: 239 to create, 0 to update, 0 to delete");

    const annotations = fake.checkRuns[0]?.annotations ?? [];
    expect(annotations).toHaveLength(120);
    expect(annotations[0]).toMatchObject({ path: "config/integrations/aws-prod.yaml", start_line: 5 });
    expect(annotations[0]?.message).toMatch(/^will create IAM OIDC provider of integration aws-prod: /);
    expect(annotations[119]).toMatchObject({ path: "config/identities/aws-many-118.yaml", start_line: 4, title: "wid: aws-many-118" });
    expect(annotations[119]?.message).toBe("will create role wid-aws-many-118: the identity is not installed yet");
  });

  it("reads the status file from the base commit", async () => {
    const base = await baseWithStatus();
    const changed = withShopAssetsDelete(base);
    // The pull request rewrites the status file as if its change were installed already.
    const head = { ...changed, "config/.wid/status.yaml": await installedStatus(changed) };
    const repository = openPullRequest(base, head);

    const result = await runCheck(repository);

    expect(result.code).toBe(0);
    expect(updateBody(0).output.title).toBe("Offline plan: 0 to create, 1 to update, 0 to delete");
  });

  it("posts with GitHub App credentials", async () => {
    const base = await baseWithStatus();
    const repository = openPullRequest(base, withShopAssetsDelete(base));
    const keyFile = path.join(scratch, "app.pem");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(keyFile, keys.privateKeyPem);

    const result = await runCheck(repository, {
      args: ["--verbose"],
      env: { GITHUB_TOKEN: "", WID_GITHUB_APP_ID: String(APP.id), WID_GITHUB_APP_PRIVATE_KEY_FILE: keyFile, WID_GITHUB_APP_INSTALLATION_ID: String(APP.installation) },
    });

    expect(result.code).toBe(0);
    const tokenRequests = fake.requestsTo("POST", /^\/app\/installations\/77\/access_tokens$/);
    expect(tokenRequests.map((request) => request.status)).toEqual([201]);
    expect(tokenRequests[0]?.authorization).toMatch(/^bearer [\w-]+\.[\w-]+\.[\w-]+$/i);
    const issued = fake.issuedTokens[0] as string;
    const checkRequests = fake.requests.filter((request) => request.path.includes("/check-runs"));
    expect(checkRequests.map((request) => request.authorization)).toEqual([`token ${issued}`, `token ${issued}`]);
    expect(fake.checkRuns[0]?.conclusion).toBe("success");

    const secrets = [issued, keys.privateKeyPem.split("\n")[1] as string, TOKEN];
    const bodies = fake.requests.map((request) => request.rawBody).join("\n");
    for (const secret of secrets) {
      expect(bodies).not.toContain(secret);
      expect(result.stdout).not.toContain(secret);
      expect(result.stderr).not.toContain(secret);
    }
    expect(result.stderr).toContain('"msg":"check run completed"');
  });

  it("keeps credentials out of bodies and output", async () => {
    const base = await baseWithStatus();
    const repository = openPullRequest(base, withShopAssetsDelete(base));

    const result = await runCheck(repository, { args: ["--verbose", "--comment"] });

    expect(result.code).toBe(0);
    expect(fake.requests.every((request) => request.authorization === `token ${TOKEN}`)).toBe(true);
    expect(fake.requests.map((request) => request.rawBody).join("\n")).not.toContain(TOKEN);
    expect(result.stdout).not.toContain(TOKEN);
    expect(result.stderr).not.toContain(TOKEN);
    expect(result.stderr).toContain('"msg":"plan comment written"');
  });

  it("keeps one plan comment updated in place", async () => {
    const base = await baseWithStatus();
    const first = withShopAssetsDelete(base);
    const repository = openPullRequest(base, first);
    fake.addComment(REPOSITORY, 7, "Looks good to me", { login: "reviewer", type: "User" });

    const created = await runCheck(repository, { args: ["--comment"] });
    expect(created.code).toBe(0);
    expect(created.stdout).toContain("Plan comment: 1 created, 0 updated, 0 unchanged, 0 deleted.");
    const comments = fake.comments.filter((comment) => comment.issue === 7);
    expect(comments).toHaveLength(2);
    const planComment = comments[1];
    expect(planComment?.body).toMatch(/^<!-- wid:plan-comment part=1 -->\n### wid: Offline plan: 0 to create, 1 to update, 0 to delete\n/);
    expect(planComment?.user.type).toBe("Bot");

    // A second push with another change edits the same comment.
    const second = pullRequestRepository(base, { ...first, "config/identities/aws-extra.yaml": awsIdentity("aws-extra", ["s3:GetObject"]) });
    repositories.push(second);
    fake.commit(REPOSITORY, second.headFiles, { sha: second.headSha });
    const updated = await runCheck(second, { args: ["--comment"] });
    expect(updated.stdout).toContain("Plan comment: 0 created, 1 updated, 0 unchanged, 0 deleted.");
    expect(fake.comments.filter((comment) => comment.issue === 7)).toHaveLength(2);
    expect(fake.comments.find((comment) => comment.id === planComment?.id)?.body).toContain("Offline plan: 2 to create, 1 to update, 0 to delete");
    expect(fake.requestsTo("PATCH", /\/issues\/comments\/\d+$/).map((request) => request.path)).toEqual([`/repos/acme/identities/issues/comments/${planComment?.id}`]);

    const unchanged = await runCheck(second, { args: ["--comment"] });
    expect(unchanged.stdout).toContain("Plan comment: 0 created, 0 updated, 1 unchanged, 0 deleted.");
  });

  it("rejects missing credentials before any request", async () => {
    const base = await baseWithStatus();
    const repository = openPullRequest(base, base);

    const result = await runCheck(repository, { env: { GITHUB_TOKEN: "" } });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("wid: error: no GitHub credentials: set GITHUB_TOKEN");
    expect(fake.requests).toHaveLength(0);
  });

  it("rejects a pull request event without a head commit", async () => {
    const base = await baseWithStatus();
    const repository = openPullRequest(base, base);
    const eventPath = path.join(scratch, "broken.json");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(eventPath, JSON.stringify({ pull_request: { number: 7, head: {}, base: { sha: repository.baseSha, ref: "main" } }, repository: { full_name: REPOSITORY } }));

    const result = await runCli(["github", "check", "config"], {
      cwd: repository.root,
      env: { GITHUB_API_URL: fake.url, GITHUB_REPOSITORY: REPOSITORY, GITHUB_EVENT_NAME: "pull_request", GITHUB_EVENT_PATH: eventPath, GITHUB_SHA: MERGE_SHA, GITHUB_TOKEN: TOKEN },
    });

    expect(result.code).toBe(1);
    expect(result.stderr).toBe("wid: error: invalid event payload: pull_request.head.sha is missing or not a commit SHA (GITHUB_EVENT_PATH)\n");
    expect(fake.requests).toHaveLength(0);
  });

  it("reports a rejected token in one line", async () => {
    const base = await baseWithStatus();
    const repository = openPullRequest(base, base);

    const result = await runCheck(repository, { env: { GITHUB_TOKEN: "ghp_wrong_token" } });

    expect(result.code).toBe(1);
    expect(result.stderr).toBe("wid: error: GitHub API call checks.create failed with HTTP 401: Bad credentials\n");
    expect(result.stderr).not.toContain("ghp_wrong_token");
  });
});
