import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { FakeGcp } from "../support/fake-gcp.js";
import { startFakeGcp } from "../support/fake-gcp.js";
import { principal, readStatus, run } from "./helpers.js";

const EXAMPLE = path.resolve(import.meta.dirname, "../../examples/config-repo");
const PROJECT = { projectId: "acme-prod-analytics", projectNumber: "481516234200" };

describe("example repository on Google Cloud", () => {
  let fake: FakeGcp;
  let repo: string;

  beforeAll(async () => {
    fake = await startFakeGcp({ projects: [PROJECT] });
    repo = await mkdtemp(path.join(tmpdir(), "wid-gcp-example-"));
    await cp(EXAMPLE, repo, { recursive: true });
  });
  afterAll(async () => {
    await fake.stop();
    await rm(repo, { recursive: true, force: true });
  });

  it("applies its Google Cloud part", async () => {
    // Only the Google Cloud adapter runs, so the AWS integration is reported as not supported.
    const applied = await run(fake, repo, "apply");
    expect(applied.outcome).toBe("applied");
    expect(applied.report?.summary).toMatchObject({ created: 6, failed: 0 });
    expect(fake.role(PROJECT.projectId, "wid_gcp_bigquery_reader")?.includedPermissions).toEqual([
      "bigquery.datasets.get",
      "bigquery.jobs.create",
      "bigquery.tables.getData",
      "bigquery.tables.list",
    ]);
    expect(fake.policy(PROJECT.projectId).bindings).toContainEqual({
      role: "projects/acme-prod-analytics/roles/wid_gcp_uploads_writer",
      members: [principal(PROJECT, "gcp-uploads-writer")],
    });

    const status = await readStatus(repo);
    expect(status.workloads["analytics/dashboard"]?.gcp?.env).toEqual({
      GOOGLE_APPLICATION_CREDENTIALS: "/gcp-credentials.json",
      GOOGLE_CLOUD_PROJECT: "acme-prod-analytics",
    });
    expect(status.workloads["analytics/dashboard"]?.gcp?.ready).toBe(true);
    expect((await run(fake, repo, "plan")).plan?.changes).toEqual([]);
  });
});
