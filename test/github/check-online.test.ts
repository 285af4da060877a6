import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { iamClient } from "../aws/helpers.js";
import { runCli } from "../support/cli.js";
import type { FakeGcp } from "../support/fake-gcp.js";
import { fakeGcpEnv, startFakeGcp } from "../support/fake-gcp.js";
import type { FakeGithub } from "../support/fake-github.js";
import { startFakeGithub } from "../support/fake-github.js";
import type { MotoServer } from "../support/moto.js";
import { motoAvailability, motoEnv, startMoto } from "../support/moto.js";
import type { PullRequestRepository, RepositoryFiles } from "./fixtures.js";
import { exampleFiles, lineOf, pullRequestRepository, REPOSITORY, writePullRequestEvent } from "./fixtures.js";

const moto = motoAvailability();
const TOKEN = "ghp_online_check_token_0123456789";
const GCP_PROJECT = { projectId: "acme-prod-analytics", projectNumber: "481516234200" };
const SHOP_ASSETS = "config/identities/aws-shop-assets.yaml";
const UPLOADS_WRITER = "config/identities/gcp-uploads-writer.yaml";

interface CheckUpdate {
  conclusion?: string;
  output: { title: string; summary: string; text?: string; annotations?: { path: string; start_line: number; annotation_level: string; title?: string; message: string }[] };
}

describe.skipIf(!moto.run)(`wid github check against the cloud ${moto.reason}`, () => {
  let server: MotoServer;
  let gcp: FakeGcp;
  let github: FakeGithub;
  let scratch: string;
  let awsEnv: Record<string, string>;
  let gcpEnv: Record<string, string>;
  /** The example config with the status file that wid apply wrote for it. */
  let applied: RepositoryFiles;
  const repositories: PullRequestRepository[] = [];

  beforeAll(async () => {
    server = await startMoto();
    gcp = await startFakeGcp({ projects: [GCP_PROJECT] });
    scratch = mkdtempSync(path.join(tmpdir(), "wid-check-online-"));
    awsEnv = motoEnv(server.endpoint);
    gcpEnv = await fakeGcpEnv(gcp, scratch);

    // Install the example in both clouds, as the daemon would have done on the base branch.
    const base = pullRequestRepository(exampleFiles(), exampleFiles());
    repositories.push(base);
    const apply = await runCli(["apply", "config"], { cwd: base.root, env: { ...awsEnv, ...gcpEnv } });
    expect(apply.stderr).toBe("");
    expect(apply.code).toBe(0);
    applied = { ...exampleFiles(), "config/.wid/status.yaml": readFileSync(path.join(base.configDir, ".wid/status.yaml"), "utf8") };
  }, 120_000);

  afterAll(async () => {
    for (const repository of repositories.splice(0)) repository.remove();
    await gcp?.stop();
    await server?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  beforeEach(async () => {
    github = await startFakeGithub({ tokens: [TOKEN] });
  });

  afterEach(async () => {
    await github.close();
  });

  function openPullRequest(head: RepositoryFiles): PullRequestRepository {
    const repository = pullRequestRepository(applied, head);
    repositories.push(repository);
    github.commit(REPOSITORY, head, { sha: repository.headSha });
    return repository;
  }

  async function runCheck(repository: PullRequestRepository, env: Record<string, string>, args: string[] = []) {
    const eventPath = writePullRequestEvent(scratch, { number: 9, headSha: repository.headSha, baseSha: repository.baseSha });
    return runCli(["github", "check", "config", ...args], {
      cwd: repository.root,
      env: { GITHUB_API_URL: github.url, GITHUB_REPOSITORY: REPOSITORY, GITHUB_EVENT_NAME: "pull_request", GITHUB_EVENT_PATH: eventPath, GITHUB_WORKSPACE: repository.root, GITHUB_TOKEN: TOKEN, ...env },
    });
  }

  function completedUpdate(): CheckUpdate {
    const updates = github.requestsTo("PATCH", /^\/repos\/acme\/identities\/check-runs\/\d+$/);
    return updates[updates.length - 1]?.body as CheckUpdate;
  }

  function withAction(files: RepositoryFiles, file: string, from: string, to: string): RepositoryFiles {
    const text = files[file] as string;
    expect(text).toContain(from);
    return { ...files, [file]: text.replace(from, to) };
  }

  it("annotates the policy line with the cloud diff", async () => {
    const head = withAction(applied, SHOP_ASSETS, "Action: [s3:GetObject, s3:PutObject]", "Action: [s3:GetObject, s3:PutObject, s3:DeleteObject]");
    const repository = openPullRequest(head);

    const result = await runCheck(repository, { ...awsEnv, ...gcpEnv });

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const update = completedUpdate();
    // aws-audit-reader has install: false, so its role waits for install and the check is neutral.
    expect(update.conclusion).toBe("neutral");
    expect(update.output.title).toBe("Plan: 0 to create, 1 to update, 0 to delete; 2 changes pending install");
    expect(update.output.summary).toMatch(/^Planned against the cloud for commit `[0-9a-f]{40}`\./);
    expect(update.output.summary).not.toContain("Partly offline");
    expect(update.output.summary).toContain("| ~ update | `role-policy/wid-aws-shop-assets/wid-permissions` | `aws-shop-assets` | + s3:DeleteObject |");
    const onShopAssets = (update.output.annotations ?? []).filter((annotation) => annotation.path === SHOP_ASSETS);
    expect(onShopAssets).toEqual([
      expect.objectContaining({ start_line: lineOf(head[SHOP_ASSETS] as string, 'Version: "2012-10-17"'), annotation_level: "notice", message: "will update role wid-aws-shop-assets: + s3:DeleteObject" }),
    ]);
  });

  it("shows drift that the status file cannot", async () => {
    // Someone widened the policy in the cloud; the pull request changes nothing there.
    const iam = iamClient(server.endpoint);
    const drifted = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sqs:*", Resource: "*" }] };
    await iam.send(new PutRolePolicyCommand({ RoleName: "wid-aws-queue-consumer", PolicyName: "wid-permissions", PolicyDocument: JSON.stringify(drifted) }));
    const head = withAction(applied, UPLOADS_WRITER, "      - storage.buckets.list\n", "");
    const repository = openPullRequest(head);

    try {
      const offline = await runCheck(repository, { ...awsEnv, ...gcpEnv }, ["--offline"]);
      expect(offline.code).toBe(0);
      expect(completedUpdate().output.title).toBe("Offline plan: 0 to create, 1 to update, 0 to delete; 2 changes pending install");

      const online = await runCheck(repository, { ...awsEnv, ...gcpEnv });
      expect(online.code).toBe(0);
      const update = completedUpdate();
      expect(update.output.title).toBe("Plan: 0 to create, 2 to update, 0 to delete; 2 changes pending install");
      expect(update.output.summary).toContain("`role-policy/wid-aws-queue-consumer/wid-permissions`");
      const uploads = (update.output.annotations ?? []).find((annotation) => annotation.path === UPLOADS_WRITER);
      expect(uploads?.message).toBe("will update custom role wid_gcp_uploads_writer: - storage.buckets.list");
    } finally {
      // Restore what apply wrote, so the other cases start from a converged cloud.
      const restored = await runCli(["apply", "config"], { cwd: repositories[0]?.root ?? "", env: { ...awsEnv, ...gcpEnv } });
      expect(restored.code).toBe(0);
      iam.destroy();
    }
  });

  it("plans offline the integrations without credentials", async () => {
    const head = withAction(applied, SHOP_ASSETS, "Action: [s3:GetObject, s3:PutObject]", "Action: [s3:GetObject, s3:PutObject, s3:DeleteObject]");
    const changed = withAction(head, UPLOADS_WRITER, "      - storage.buckets.list\n", "");
    const repository = openPullRequest(changed);
    gcp.resetCalls();

    const result = await runCheck(repository, awsEnv);

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const update = completedUpdate();
    expect(update.output.title).toBe("Plan: 0 to create, 2 to update, 0 to delete; 2 changes pending install");
    expect(update.output.summary).toContain("> **Partly offline:** compared with `.wid/status.yaml`, not with the cloud: `gcp-prod` (this run has no Google Cloud credentials).");
    expect(update.output.summary).toContain("_Compared with the status file, not the cloud: this run has no Google Cloud credentials._");
    const annotations = update.output.annotations ?? [];
    expect(annotations.find((annotation) => annotation.path === SHOP_ASSETS)?.message).toBe("will update role wid-aws-shop-assets: + s3:DeleteObject");
    // The offline plan has no structured diff, so the annotation gives the change's reason.
    expect(annotations.find((annotation) => annotation.path === UPLOADS_WRITER)?.message).toBe("will update custom role wid_gcp_uploads_writer: the permissions in the file differ from the installed ones");
    expect(gcp.requests()).toEqual([]);
    // Workloads select across both plans: the AWS identity from the cloud, the Google one from the status file.
    expect(update.output.text).toContain("| `shop/api` | `aws-shop-assets` (ready) | `gcp-uploads-writer` (ready) |");
    expect(update.output.text).toContain("| `platform/audit-collector` | none | `gcp-uploads-writer` (ready) |");
  });

  it("fails an unreadable integration with --online", async () => {
    const repository = openPullRequest(applied);

    const result = await runCheck(repository, awsEnv, ["--online"]);

    expect(result.code).toBe(0);
    const update = completedUpdate();
    expect(update.conclusion).toBe("neutral");
    expect(update.output.title).toBe("Plan: 0 to create, 0 to update, 0 to delete; 2 changes pending install; 1 failed integration");
    const failure = (update.output.annotations ?? []).find((annotation) => annotation.title === "wid: gcp-prod could not be planned");
    expect(failure).toMatchObject({ path: "config/integrations/gcp-prod.yaml", annotation_level: "warning" });
    expect(failure?.message).toContain("Application Default Credentials");
  });
});
