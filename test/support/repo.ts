import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** Settings and one integration per provider, the base of most test repositories. */
export const BASE_FILES: Readonly<Record<string, string>> = {
  "settings.yaml": "apiVersion: wid/v1\nkind: Settings\nspec:\n  issuer: https://oidc.example.com\n",
  "integrations/aws-prod.yaml": 'apiVersion: wid/v1\nkind: Integration\nmetadata:\n  name: aws-prod\nspec:\n  provider: aws\n  aws:\n    accountId: "123456789012"\n',
  "integrations/gcp-prod.yaml":
    'apiVersion: wid/v1\nkind: Integration\nmetadata:\n  name: gcp-prod\nspec:\n  provider: gcp\n  gcp:\n    projectId: acme-prod\n    projectNumber: "481516234200"\n',
};

const created: string[] = [];

/**
 * Writes a config repository into a new temporary folder and returns its path. `files`
 * maps relative paths to contents; BASE_FILES are added unless `base` is false, and a
 * file of the same path replaces its base file.
 */
export async function writeRepo(files: Readonly<Record<string, string | Uint8Array>>, options: { base?: boolean } = {}): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), "wid-test-repo-"));
  created.push(root);
  const all = { ...(options.base === false ? {} : BASE_FILES), ...files };
  for (const [file, content] of Object.entries(all)) {
    const target = path.join(root, file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  return root;
}

/** Removes every repository written by {@link writeRepo}; call it in `afterAll`. */
export async function removeRepos(): Promise<void> {
  await Promise.all(created.splice(0).map((root) => rm(root, { recursive: true, force: true })));
}

/** Returns an AWS WorkloadIdentity document with the given name, integration and policy YAML (indented under `policy:`). */
export function awsIdentity(name: string, policy: string, options: { integration?: string } = {}): string {
  return [
    "apiVersion: wid/v1",
    "kind: WorkloadIdentity",
    "metadata:",
    `  name: ${name}`,
    "spec:",
    "  provider: aws",
    `  integration: ${options.integration ?? "aws-prod"}`,
    "  install: true",
    "  scope:",
    '    projects: "*"',
    "  aws:",
    `    policy:${policy}`,
    "",
  ].join("\n");
}

/** A minimal valid policy in YAML form, for {@link awsIdentity}. */
export const SIMPLE_POLICY = `
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Action: s3:GetObject
          Resource: arn:aws:s3:::bucket/*`;
