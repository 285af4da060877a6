import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { loadConfig } from "../../src/config/load.js";
import { writeStatusFile } from "../../src/status/file.js";
import type { StatusFile } from "../../src/status/types.js";
import { runCli } from "../support/cli.js";
import { installedIdentities } from "../support/installed-example.js";
import { freePort, motoEnv } from "../support/moto.js";
import { awsIdentity, removeRepos, SIMPLE_POLICY, writeRepo } from "../support/repo.js";

afterAll(removeRepos);

let example = "";
beforeAll(async () => {
  example = await mkdtemp(path.join(os.tmpdir(), "wid-contract-"));
  await cp(path.resolve("examples/config-repo"), example, { recursive: true });
});
afterAll(async () => {
  await rm(example, { recursive: true, force: true });
});

/** Returns a validator of one part of the status schema, such as the workload mapping. */
function statusValidator(pointer: string): (value: unknown) => boolean {
  const ajv = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true });
  ajv.addKeyword({ keyword: "x-message", schemaType: "string" });
  for (const file of ["common.schema.json", "status.schema.json"]) {
    ajv.addSchema({ ...(JSON.parse(readFileSync(path.resolve("schemas", file), "utf8")) as object), $id: `https://schemas.wid.invalid/${file}` });
  }
  const validate = ajv.compile({ $ref: `https://schemas.wid.invalid/status.schema.json${pointer}` });
  return (value) => validate(value);
}

/** Builds a status file in which every identity of the repository is installed as written. */
async function installedStatus(root: string): Promise<StatusFile> {
  const { model } = await loadConfig(root);
  const identities = installedIdentities(model);
  return {
    apiVersion: "wid/v1",
    kind: "Status",
    revision: null,
    integrations: {
      "aws-prod": { provider: "aws", state: "installed", installed: true, oidcProvider: "arn:aws:iam::123456789012:oidc-provider/oidc.example.com" },
      "gcp-prod": { provider: "gcp", state: "installed", installed: true, oidcProvider: "projects/481516234200/locations/global/workloadIdentityPools/wid-pool/providers/wid-issuer" },
    },
    identities,
    workloads: {},
  };
}

describe("validate --format json", () => {
  it("reports a valid repository", async () => {
    const result = await runCli(["validate", ".", "--format", "json"], { cwd: example });

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ valid: true, diagnostics: [] });
  });

  it("reports each diagnostic with its fields", async () => {
    const root = await writeRepo({
      "identities/typo.yaml": awsIdentity("typo", SIMPLE_POLICY.replace("s3:GetObject", "s3:GetObjekt")),
      "identities/nowhere.yaml": awsIdentity("nowhere", SIMPLE_POLICY).replace('    projects: "*"\n', "    tags: [s3]\n"),
    });
    const result = await runCli(["validate", ".", "--format", "json"], { cwd: root });
    const output = JSON.parse(result.stdout) as { valid: boolean; diagnostics: Record<string, unknown>[] };

    expect(result.code).toBe(1);
    expect(result.stderr).toBe("");
    expect(output.valid).toBe(false);
    expect(output.diagnostics).toEqual([
      {
        file: "identities/nowhere.yaml",
        line: 10,
        column: 5,
        severity: "warning",
        code: "scope-no-projects",
        message: 'spec.scope: has no projects, so the identity is available to no workload; add projects: ["*"] or a list',
        field: "spec.scope",
      },
      {
        file: "identities/typo.yaml",
        line: 16,
        column: 19,
        severity: "error",
        code: "aws-unknown-action",
        message: 'spec.aws.policy.Statement[0].Action: "s3:GetObjekt" is not an action of s3; did you mean "s3:GetObject"?',
        field: "spec.aws.policy.Statement[0].Action",
      },
    ]);
  });

  it("stays valid with only warnings", async () => {
    const root = await writeRepo({ "identities/nowhere.yaml": awsIdentity("nowhere", SIMPLE_POLICY).replace('    projects: "*"\n', "    tags: [s3]\n") });
    const result = await runCli(["validate", ".", "--format", "json"], { cwd: root });

    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { valid: boolean }).valid).toBe(true);
  });
});

describe("validate --format github", () => {
  it("prints workflow commands", async () => {
    const root = await writeRepo({ "identities/typo.yaml": awsIdentity("typo", SIMPLE_POLICY.replace("s3:GetObject", "s3:GetObjekt")) });
    const result = await runCli(["validate", ".", "--format", "github"], { cwd: root });

    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      '::error file=identities/typo.yaml,line=16,col=19,title=wid aws-unknown-action::spec.aws.policy.Statement[0].Action: "s3:GetObjekt" is not an action of s3; did you mean "s3:GetObject"?\n',
    );
  });
});

describe("plan --offline --format json", () => {
  it("has the contract's top-level fields", async () => {
    const result = await runCli(["plan", ".", "--offline", "--format", "json"], { cwd: example });
    const plan = JSON.parse(result.stdout) as Record<string, unknown>;

    expect(result.code).toBe(2);
    expect(plan).toMatchObject({ summary: { create: 15, update: 0, delete: 0 } });
    expect(Object.keys(plan.summary as object).sort()).toEqual(["create", "delete", "update"]);
    for (const change of [...(plan.changes as Record<string, unknown>[]), ...(plan.pending as Record<string, unknown>[])]) {
      expect(["create", "update", "delete"]).toContain(change.action);
      expect(typeof change.resource).toBe("string");
      expect(typeof change.integration).toBe("string");
      expect(change.identity === null || typeof change.identity === "string").toBe(true);
    }
    expect((plan.pending as Record<string, unknown>[]).map((change) => change.identity)).toEqual(["aws-audit-reader", "aws-audit-reader"]);
  });

  it("maps workloads in the status file's shape", async () => {
    const result = await runCli(["plan", ".", "--offline", "--format", "json"], { cwd: example });
    const plan = JSON.parse(result.stdout) as { workloads: unknown };
    const validateWorkloads = statusValidator("#/properties/workloads");

    expect(validateWorkloads(plan.workloads)).toBe(true);
    expect(Object.keys(plan.workloads as object)).toContain("shop/api");
  });

  it("exits 0 when the status file matches", async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), "wid-contract-"));
    try {
      await cp(path.resolve("examples/config-repo"), root, { recursive: true });
      await writeStatusFile(root, ".wid/status.yaml", await installedStatus(root));
      const result = await runCli(["plan", ".", "--offline", "--format", "json"], { cwd: root });
      const plan = JSON.parse(result.stdout) as { summary: unknown; changes: unknown[]; pending: unknown[] };

      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(plan.summary).toEqual({ create: 0, update: 0, delete: 0 });
      expect(plan.changes).toEqual([]);
      expect(plan.pending).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("exits 1 on an invalid config", async () => {
    const root = await writeRepo({ "identities/typo.yaml": awsIdentity("typo", SIMPLE_POLICY.replace("s3:GetObject", "s3:GetObjekt")) });
    const result = await runCli(["plan", ".", "--offline", "--format", "json"], { cwd: root });
    const plan = JSON.parse(result.stdout) as { invalid: { identity: string }[] };

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("identities/typo.yaml:16:19: error:");
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(plan.invalid.map((note) => note.identity)).toEqual(["typo"]);
  });
});

describe("plan --format json against the cloud", () => {
  it("reports each integration it cannot read", async () => {
    // A free loopback port with no server: AWS cannot be reached, and Google has no credentials.
    const closedPort = await freePort();
    const env = motoEnv(`http://127.0.0.1:${closedPort}`);
    const result = await runCli(["plan", ".", "--format", "json"], { cwd: example, env });
    const plan = JSON.parse(result.stdout) as {
      mode: string;
      summary: unknown;
      changes: unknown[];
      failedIntegrations: { integration: string; provider: string; message: string }[];
      integrations: Record<string, { state: string; message?: string }>;
      workloads: unknown;
    };

    expect(result.code).toBe(1);
    expect(plan.mode).toBe("online");
    expect(plan.summary).toEqual({ create: 0, update: 0, delete: 0 });
    expect(plan.changes).toEqual([]);
    expect(plan.failedIntegrations.map((note) => [note.integration, note.provider])).toEqual([
      ["aws-prod", "aws"],
      ["gcp-prod", "gcp"],
    ]);
    expect(plan.failedIntegrations[0]?.message).toContain("AWS could not be reached; check AWS_ENDPOINT_URL");
    expect(plan.failedIntegrations[1]?.message).toContain("Application Default Credentials");
    expect(plan.integrations["aws-prod"]?.state).toBe("failed");
    expect(plan.integrations["gcp-prod"]?.state).toBe("failed");
    expect(statusValidator("#/properties/workloads")(plan.workloads)).toBe(true);
    expect(result.stdout).not.toContain("testing");
  });
});

describe("explain --format json", () => {
  it("has the contract's fields", async () => {
    const result = await runCli(["explain", ".", "--workload", "shop/api", "--format", "json"], { cwd: example });
    const explanation = JSON.parse(result.stdout) as { workload: string; providers: Record<string, { selected: string | null; candidates: Record<string, unknown>[] }> };

    expect(result.code).toBe(0);
    expect(Object.keys(explanation).sort()).toEqual(["providers", "workload"]);
    expect(explanation.workload).toBe("shop/api");
    expect(Object.keys(explanation.providers).sort()).toEqual(["aws", "gcp"]);
    for (const provider of Object.values(explanation.providers)) {
      expect(Object.keys(provider).sort()).toEqual(["candidates", "selected"]);
      for (const candidate of provider.candidates) {
        expect(Object.keys(candidate).sort()).toEqual(["available", "candidate", "identity", "reasons"]);
        expect(typeof candidate.available).toBe("boolean");
        expect(typeof candidate.candidate).toBe("boolean");
        expect(Array.isArray(candidate.reasons)).toBe(true);
      }
    }
  });

  it("rejects an unknown workload", async () => {
    const result = await runCli(["explain", ".", "--workload", "shop/apj"], { cwd: example });

    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe('wid: error: workload shop/apj not found in the config; did you mean "shop/api"?\n');
  });

  it("agrees with the plan on a frozen selection", async () => {
    const workload = "apiVersion: wid/v1\nkind: Workload\nmetadata: { name: api, project: shop }\nspec: { type: service }\n";
    const root = await writeRepo({ "identities/aws-a.yaml": awsIdentity("aws-a", SIMPLE_POLICY), "identities/aws-b.yaml": awsIdentity("aws-b", SIMPLE_POLICY), "workloads/shop.yaml": workload });
    const status = await installedStatus(root);
    status.workloads["shop/api"] = {
      aws: { identity: "aws-a", description: null, integration: "aws-prod", createdAt: null, ready: true, env: {}, files: [], shadowed: ["aws-b"], notInstalled: [] },
    };
    await writeStatusFile(root, ".wid/status.yaml", status);
    // Break aws-a: it becomes invalid and keeps its mapping.
    await writeFile(path.join(root, "identities/aws-a.yaml"), awsIdentity("aws-a", SIMPLE_POLICY.replace("s3:GetObject", "s3:GetObjekt")));

    const plan = JSON.parse((await runCli(["plan", ".", "--offline", "--format", "json"], { cwd: root })).stdout) as { workloads: Record<string, { aws?: { identity: string | null; shadowed: string[] } }> };
    const explained = JSON.parse((await runCli(["explain", ".", "--workload", "shop/api", "--format", "json"], { cwd: root })).stdout) as { providers: { aws?: { selected: string | null } } };

    expect(plan.workloads["shop/api"]?.aws?.identity).toBe("aws-a");
    expect(plan.workloads["shop/api"]?.aws?.shadowed).toEqual(["aws-b"]);
    expect(explained.providers.aws?.selected).toBe("aws-a");
  });

  it("prints text by default", async () => {
    const result = await runCli(["explain", ".", "--workload", "shop/storefront"], { cwd: example });

    expect(result.code).toBe(0);
    expect(result.stdout).toContain("aws: uses aws-shop-readonly");
    expect(result.stdout).toContain("* aws-shop-readonly");
  });
});
