import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

/** Issuer of the test repositories. Nothing fetches it: each test serves or publishes the JWKS itself. */
export const TEST_ISSUER = "https://oidc.wid.test";

/** The account moto uses for every request. */
export const MOTO_ACCOUNT_ID = "123456789012";

/** The Google Cloud integration of the test repositories. */
export const GCP_PROJECT = { projectId: "wid-test-project", projectNumber: "555000111222", poolId: "wid-pool", providerId: "wid-issuer" };

/**
 * Writes a small config repository into a new temporary folder: Settings, one AWS and
 * one Google Cloud integration, an identity of each with `install: true`, and two
 * workloads of project `shop` (`api` gets both identities, `worker` only AWS).
 * Returns the folder.
 */
export async function writeConfigRepo(options: { issuer?: string; tokenLifetime?: string; statusFile?: string } = {}): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), "wid-credentials-"));
  const files: Record<string, string> = {
    "settings.yaml": `apiVersion: wid/v1
kind: Settings
spec:
  issuer: ${options.issuer ?? TEST_ISSUER}
  tokenLifetime: ${options.tokenLifetime ?? "1h"}
${options.statusFile !== undefined ? `  statusFile: ${options.statusFile}\n` : ""}`,
    "integrations.yaml": `apiVersion: wid/v1
kind: Integration
metadata: { name: aws-test }
spec:
  provider: aws
  aws:
    accountId: "${MOTO_ACCOUNT_ID}"
---
apiVersion: wid/v1
kind: Integration
metadata: { name: gcp-test }
spec:
  provider: gcp
  gcp:
    projectId: ${GCP_PROJECT.projectId}
    projectNumber: "${GCP_PROJECT.projectNumber}"
    poolId: ${GCP_PROJECT.poolId}
    providerId: ${GCP_PROJECT.providerId}
`,
    "identities/assets.yaml": `apiVersion: wid/v1
kind: WorkloadIdentity
metadata: { name: assets-writer, description: Write the asset bucket }
spec:
  provider: aws
  integration: aws-test
  install: true
  scope: { projects: [shop] }
  aws:
    policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Action: [s3:GetObject, s3:PutObject]
          Resource: arn:aws:s3:::wid-assets/*
`,
    "identities/uploads.yaml": `apiVersion: wid/v1
kind: WorkloadIdentity
metadata: { name: uploads-writer }
spec:
  provider: gcp
  integration: gcp-test
  install: true
  scope: { projects: [shop], tags: [uploads] }
  gcp:
    permissions: [storage.objects.create]
`,
    "workloads.yaml": `apiVersion: wid/v1
kind: Workload
metadata: { name: api, project: shop }
spec: { type: service, tags: [uploads] }
---
apiVersion: wid/v1
kind: Workload
metadata: { name: worker, project: shop }
spec: { type: job }
`,
  };
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), content, "utf8");
  }
  return root;
}
