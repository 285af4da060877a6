/**
 * Config repositories for the GitHub tests: real git repositories in temporary folders
 * with the config under `config/`, so that annotation paths must carry the prefix.
 */

import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { loadConfig } from "../../src/config/load.js";
import { awsRoleName } from "../../src/config/names.js";
import { permissionsHash } from "../../src/plan/hash.js";
import { serializeStatus } from "../../src/status/file.js";
import type { StatusFile } from "../../src/status/types.js";

export const EXAMPLE_DIR = path.resolve("examples/config-repo");
export const REPOSITORY = "acme/identities";

/** Files of a repository, by path from its root. */
export type RepositoryFiles = Record<string, string>;

/** Reads the example config repository as files under `config/`. */
export function exampleFiles(): RepositoryFiles {
  const files: RepositoryFiles = {};
  const walk = (dir: string, base: string): void => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      const relative = base === "" ? name : `${base}/${name}`;
      if (statSync(full).isDirectory()) walk(full, relative);
      else files[`config/${relative}`] = readFileSync(full, "utf8");
    }
  };
  walk(EXAMPLE_DIR, "");
  return files;
}

/** A temporary git repository with a base commit and a pull request head commit. */
export interface PullRequestRepository {
  /** The repository root. */
  root: string;
  /** The config folder, `ROOT/config`. */
  configDir: string;
  baseSha: string;
  headSha: string;
  /** The head commit's files. */
  headFiles: RepositoryFiles;
  remove(): void;
}

/**
 * Creates a git repository whose first commit contains `base` and whose second commit, the
 * checked-out pull request head, contains `head`.
 */
export function pullRequestRepository(base: RepositoryFiles, head: RepositoryFiles): PullRequestRepository {
  const root = mkdtempSync(path.join(tmpdir(), "wid-github-test-"));
  const git = (...args: string[]): string =>
    execFileSync("git", args, {
      cwd: root,
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", HOME: root, GIT_AUTHOR_NAME: "Test", GIT_AUTHOR_EMAIL: "test@example.com", GIT_COMMITTER_NAME: "Test", GIT_COMMITTER_EMAIL: "test@example.com" },
    }).trim();

  git("init", "-q", "-b", "main");
  writeFiles(root, base);
  git("add", "-A");
  git("commit", "-q", "--allow-empty", "-m", "base");
  const baseSha = git("rev-parse", "HEAD");

  for (const file of Object.keys(base)) rmSync(path.join(root, file), { force: true });
  writeFiles(root, head);
  git("add", "-A");
  git("commit", "-q", "--allow-empty", "-m", "head");
  const headSha = git("rev-parse", "HEAD");

  return { root, configDir: path.join(root, "config"), baseSha, headSha, headFiles: head, remove: () => rmSync(root, { recursive: true, force: true }) };
}

function writeFiles(root: string, files: RepositoryFiles): void {
  for (const [file, content] of Object.entries(files)) {
    const target = path.join(root, file);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
}

/**
 * Builds a status file in which every identity and integration of the config under
 * `repositoryFiles` is installed exactly as written, as wid would write it after an apply.
 */
export async function installedStatus(repositoryFiles: RepositoryFiles): Promise<string> {
  const folder = mkdtempSync(path.join(tmpdir(), "wid-status-fixture-"));
  try {
    writeFiles(folder, repositoryFiles);
    const { model } = await loadConfig(path.join(folder, "config"));
    const status: StatusFile = { apiVersion: "wid/v1", kind: "Status", revision: "0".repeat(40), integrations: {}, identities: {}, workloads: {} };
    for (const integration of model.integrations.values()) {
      status.integrations[integration.name] = {
        provider: integration.provider,
        state: "installed",
        installed: true,
        oidcProvider: integration.provider === "aws" ? `arn:aws:iam::${integration.aws.accountId}:oidc-provider/oidc.example.com` : `projects/${integration.gcp.projectNumber}/locations/global/workloadIdentityPools/${integration.gcp.poolId}/providers/${integration.gcp.providerId}`,
      };
    }
    for (const identity of model.identities.values()) {
      const hash = permissionsHash(identity);
      const integration = model.integrations.get(identity.integration);
      status.identities[identity.name] = {
        provider: identity.provider,
        integration: identity.integration,
        file: identity.source.file,
        state: "installed",
        install: identity.install,
        desiredHash: hash,
        installedHash: hash,
        installedRevision: "0".repeat(40),
        createdAt: "2024-01-01T00:00:00.000Z",
        ...(integration?.provider === "aws"
          ? { aws: { roleName: awsRoleName(integration.aws, identity.name), roleArn: `arn:aws:iam::${integration.aws.accountId}:role/workload-identity/${awsRoleName(integration.aws, identity.name)}` } }
          : {}),
        workloads: [],
      };
    }
    return serializeStatus(status);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Builds an AWS identity file for the example's `aws-prod` integration. */
export function awsIdentity(name: string, actions: readonly string[], options: { install?: boolean } = {}): string {
  return [
    "apiVersion: wid/v1",
    "kind: WorkloadIdentity",
    "metadata:",
    `  name: ${name}`,
    "spec:",
    "  provider: aws",
    "  integration: aws-prod",
    `  install: ${options.install ?? true}`,
    "  scope:",
    "    projects: [shop]",
    "  aws:",
    "    policy:",
    '      Version: "2012-10-17"',
    "      Statement:",
    "        - Effect: Allow",
    `          Action: [${actions.join(", ")}]`,
    `          Resource: arn:aws:s3:::${name}/*`,
    "",
  ].join("\n");
}

/** Returns the 1-based number of the first line of `text` that contains `needle`. */
export function lineOf(text: string, needle: string): number {
  const index = text.split("\n").findIndex((line) => line.includes(needle));
  if (index === -1) throw new Error(`${JSON.stringify(needle)} not found`);
  return index + 1;
}

/** Generates a GitHub App key pair, the private key in PKCS#1 PEM as GitHub issues it. */
export function appKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

/** Writes a `pull_request` event payload and returns its path. */
export function writePullRequestEvent(dir: string, options: { number: number; headSha: string; baseSha: string; action?: string; baseRef?: string }): string {
  const file = path.join(dir, `event-${options.number}.json`);
  writeFileSync(file, JSON.stringify(pullRequestPayload(options)));
  return file;
}

/** Builds a `pull_request` webhook or event payload with the fields wid reads. */
export function pullRequestPayload(options: { number: number; headSha: string; baseSha: string; action?: string; baseRef?: string; installationId?: number; repository?: string }): Record<string, unknown> {
  return {
    action: options.action ?? "synchronize",
    number: options.number,
    pull_request: {
      number: options.number,
      head: { sha: options.headSha, ref: "change-identities" },
      base: { sha: options.baseSha, ref: options.baseRef ?? "main", repo: { full_name: options.repository ?? REPOSITORY } },
    },
    repository: { full_name: options.repository ?? REPOSITORY },
    ...(options.installationId !== undefined ? { installation: { id: options.installationId } } : {}),
  };
}

