/** Config repositories and AWS clients for the AWS end-to-end tests. */

import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { IAMClient } from "@aws-sdk/client-iam";
import { pino } from "pino";
import type { Logger } from "pino";
import { parse } from "yaml";

import type { StatusFile } from "../../src/status/types.js";
import { motoEnv } from "../support/moto.js";

export const EXAMPLE = path.resolve(import.meta.dirname, "../../examples/config-repo");

/**
 * Copies the AWS part of the example repository into a temporary folder, so that apply
 * can write its status file there. The Google Cloud integration and identities are left
 * out: without Google credentials they would fail, and test/gcp applies them against the fake.
 */
export async function copyExample(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "wid-aws-"));
  await cp(EXAMPLE, dir, { recursive: true });
  for (const file of ["integrations/gcp-prod.yaml", "identities/gcp-bigquery-reader.yaml", "identities/gcp-uploads-writer.yaml"]) await rm(path.join(dir, file));
  return dir;
}

/** Creates a temporary config repository from `files`, relative path to content. */
export async function writeRepo(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "wid-aws-"));
  await writeFiles(dir, files);
  return dir;
}

export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), content, "utf8");
  }
}

export async function removeRepo(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export async function readStatus(dir: string, file = ".wid/status.yaml"): Promise<StatusFile> {
  return parse(await readFile(path.join(dir, file), "utf8")) as StatusFile;
}

/** Creates an IAM client aimed at `endpoint`, for arranging and checking state directly in moto. */
export function iamClient(endpoint: string): IAMClient {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const env = motoEnv(endpoint);
  return new IAMClient({
    endpoint,
    region: env.AWS_REGION,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? "testing", secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? "testing" },
  });
}

/** Creates a logger that writes nothing, for in-process reconciles. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}

export const SETTINGS = `apiVersion: wid/v1
kind: Settings
spec:
  issuer: https://oidc.example.com
`;

/** Returns an AWS integration document. */
export function awsIntegration(name: string, accountId = "123456789012", extra = ""): string {
  return `apiVersion: wid/v1
kind: Integration
metadata: { name: ${name} }
spec:
  provider: aws
  aws:
    accountId: "${accountId}"
${extra}`;
}

/** Returns an AWS identity document granting `actions` on `resource`. */
export function awsIdentity(name: string, options: { integration?: string; install?: boolean; actions?: string[]; resource?: string; projects?: string } = {}): string {
  const actions = options.actions ?? ["s3:GetObject"];
  return `apiVersion: wid/v1
kind: WorkloadIdentity
metadata: { name: ${name} }
spec:
  provider: aws
  integration: ${options.integration ?? "aws-prod"}
  install: ${options.install ?? true}
  scope:
    projects: ${options.projects ?? "[shop]"}
  aws:
    policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Action: [${actions.join(", ")}]
          Resource: ${options.resource ?? "arn:aws:s3:::bucket/*"}
`;
}

export const WORKLOAD = `apiVersion: wid/v1
kind: Workload
metadata: { name: api, project: shop }
spec:
  type: service
  tags: [s3]
`;
