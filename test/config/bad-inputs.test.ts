import { execFile } from "node:child_process";
import { chmod, symlink } from "node:fs/promises";
import path from "node:path";

import { afterAll, describe, expect, it } from "vitest";

import { loadConfig } from "../../src/config/load.js";
import { childEnvironment, CLI, runCli } from "../support/cli.js";
import { awsIdentity, removeRepos, SIMPLE_POLICY, writeRepo } from "../support/repo.js";
import { BAD_INPUT_CASES } from "./bad-input-cases.js";

afterAll(removeRepos);

describe("bad inputs", () => {
  it.each(BAD_INPUT_CASES)("$name: loader error", async ({ files, expected }) => {
    const root = await writeRepo(files);
    const { diagnostics, model } = await loadConfig(root);
    const errors = diagnostics.filter((diagnostic) => diagnostic.severity === "error");

    expect(errors[0]?.file).toBe(expected.file);
    expect(errors[0]?.line).toBe(expected.line);
    expect(errors[0]?.column).toBe(expected.column);
    expect(errors[0]?.code).toBe(expected.code);
    expect(errors[0]?.message).toContain(expected.message);
    // A bad file never drops the other integrations.
    expect(model.integrations.size + model.invalidIntegrations.size).toBeGreaterThan(0);
  });

  it.each(BAD_INPUT_CASES)("$name: CLI exit 1", async ({ files, expected, env }) => {
    const root = await writeRepo(files);
    const result = await runCli(["validate", "."], { cwd: root, ...(env !== undefined ? { env } : {}) });

    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`${expected.file}:${expected.line}:${expected.column}: error: `);
    expect(result.stdout).toContain(expected.message);
    expect(result.stdout).toContain(`[${expected.code}]`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr).toBe("");
  });
});

describe("files the loader skips", () => {
  it("skips the status file", async () => {
    const root = await writeRepo({
      "settings.yaml": "apiVersion: wid/v1\nkind: Settings\nspec:\n  issuer: https://oidc.example.com\n  statusFile: state/status.yaml\n",
      "state/status.yaml": "apiVersion: wid/v1\nkind: Status\nrevision: null\nintegrations: {}\nidentities: {}\nworkloads: {}\n",
    });
    const { diagnostics, model } = await loadConfig(root);

    expect(diagnostics).toEqual([]);
    expect(model.files).not.toContain("state/status.yaml");
  });

  it("skips dot folders", async () => {
    const root = await writeRepo({ ".github/workflows/ci.yaml": "on: push\njobs: {}\n", ".wid/status.yaml": "not: [valid" });
    const { diagnostics, model } = await loadConfig(root);

    expect(diagnostics).toEqual([]);
    expect(model.files).toEqual(["integrations/aws-prod.yaml", "integrations/gcp-prod.yaml", "settings.yaml"]);
  });

  it("rejects a linked file as unreadable", async () => {
    const root = await writeRepo({ "identities/real.yaml": awsIdentity("real", SIMPLE_POLICY) });
    await symlink(path.join(root, "identities/real.yaml"), path.join(root, "identities/link.yaml"));
    const { diagnostics, model } = await loadConfig(root);

    expect(diagnostics.map((diagnostic) => [diagnostic.file, diagnostic.severity, diagnostic.code])).toEqual([["identities/link.yaml", "error", "file-symlink-skipped"]]);
    expect([...model.identities.keys()]).toEqual(["real"]);
    expect(model.unreadableFiles).toEqual(["identities/link.yaml"]);

    const result = await runCli(["validate", "."], { cwd: root });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("identities/link.yaml:1:1: error: file is a symbolic link and was not read");
  });

  it("rejects linked and dangling folders", async () => {
    const root = await writeRepo({ "team/real.yaml": awsIdentity("real", SIMPLE_POLICY) });
    await symlink(path.join(root, "team"), path.join(root, "linked"));
    await symlink(path.join(root, "missing"), path.join(root, "dangling"));
    const { diagnostics, model } = await loadConfig(root);

    expect(diagnostics.map((diagnostic) => [diagnostic.file, diagnostic.severity, diagnostic.code])).toEqual([
      ["dangling", "error", "folder-symlink-skipped"],
      ["linked", "error", "folder-symlink-skipped"],
    ]);
    expect(model.unreadableFiles).toEqual(["dangling/", "linked/"]);
    expect(model.files).toContain("team/real.yaml");
    expect(model.files.some((file) => file.startsWith("linked/"))).toBe(false);
  });

  it("reports a folder it cannot list", async () => {
    const root = await writeRepo({ "team/real.yaml": awsIdentity("real", SIMPLE_POLICY) });
    for (const folder of [root, path.join(root, "integrations")]) await chmod(folder, 0o755);
    await chmod(path.join(root, "team"), 0o000);

    // Root reads every folder through its DAC capabilities, so the check drops them. It stays
    // root, which can still read a clone in a folder that only root may enter.
    const command = process.getuid?.() === 0 ? ["setpriv", "--bounding-set=-dac_override,-dac_read_search", process.execPath] : [process.execPath];
    const result = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile(command[0] ?? "", [...command.slice(1), CLI, "validate", root, "--format", "json"], { env: childEnvironment() }, (error, stdout) => {
        resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout });
      });
    });
    await chmod(path.join(root, "team"), 0o755);

    expect(result.code).toBe(1);
    const output = JSON.parse(result.stdout) as { diagnostics: { file: string; severity: string; code: string }[] };
    expect(output.diagnostics).toContainEqual(expect.objectContaining({ file: "team", severity: "error", code: "folder-unreadable" }));
  });

  it("ignores links to other files and dot names", async () => {
    const root = await writeRepo({ "README.md": "# config\n", "team/real.yaml": awsIdentity("real", SIMPLE_POLICY) });
    await symlink(path.join(root, "README.md"), path.join(root, "NOTES.md"));
    await symlink(path.join(root, "team"), path.join(root, ".cache"));
    const { diagnostics, model } = await loadConfig(root);

    expect(diagnostics).toEqual([]);
    expect(model.unreadableFiles).toEqual([]);
  });
});

describe("invalid identities", () => {
  it("marks both definitions of a duplicate name invalid", async () => {
    const root = await writeRepo({ "identities/a.yaml": awsIdentity("same", SIMPLE_POLICY), "identities/b.yaml": awsIdentity("same", SIMPLE_POLICY) });
    const { model } = await loadConfig(root);

    expect(model.identities.has("same")).toBe(false);
    expect(model.invalidIdentities.get("same")?.source.file).toBe("identities/a.yaml");
  });

  it("keeps the name of an identity with errors", async () => {
    const root = await writeRepo({ "identities/typo.yaml": awsIdentity("typo", SIMPLE_POLICY.replace("s3:GetObject", "s3:GetObjekt")) });
    const { model } = await loadConfig(root);

    expect([...model.invalidIdentities.keys()]).toEqual(["typo"]);
    expect(model.invalidIdentities.get("typo")).toMatchObject({ provider: "aws", integration: "aws-prod" });
  });

  it.each([
    ["a misspelled kind", (text: string) => text.replace("kind: WorkloadIdentity", "kind: WorkloadIdentiy")],
    ["no kind", (text: string) => text.replace("kind: WorkloadIdentity\n", "")],
    ["a list document", () => "- kind: WorkloadIdentity\n"],
    ["a misspelled metadata", (text: string) => text.replace("metadata:", "metdata:")],
    ["a name that is a number", (text: string) => text.replace("name: nameless", "name: 42")],
  ])("lists an identity file with %s as unreadable", async (_, edit) => {
    const root = await writeRepo({ "identities/nameless.yaml": edit(awsIdentity("nameless", SIMPLE_POLICY)) });
    const { diagnostics, model } = await loadConfig(root);

    expect(diagnostics.some((diagnostic) => diagnostic.file === "identities/nameless.yaml" && diagnostic.severity === "error")).toBe(true);
    expect(model.unreadableFiles).toEqual(["identities/nameless.yaml"]);
    expect(model.filesWithErrors).toContain("identities/nameless.yaml");
  });

  it("keeps a file with an invalid workload readable", async () => {
    const root = await writeRepo({ "workloads/api.yaml": "apiVersion: wid/v1\nkind: Workload\nmetadata: { project: shop }\nspec:\n  type: service\n" });
    const { model } = await loadConfig(root);

    expect(model.unreadableFiles).toEqual([]);
    expect(model.filesWithErrors).toEqual(["workloads/api.yaml"]);
  });

  it("lists files with syntax errors as unreadable", async () => {
    const root = await writeRepo({ "identities/broken.yaml": "kind: [" });
    const { model } = await loadConfig(root);

    expect(model.unreadableFiles).toEqual(["identities/broken.yaml"]);
  });

  it("warns when scope has no projects", async () => {
    const root = await writeRepo({ "identities/nowhere.yaml": awsIdentity("nowhere", SIMPLE_POLICY).replace('    projects: "*"\n', "    tags: [s3]\n") });
    const { diagnostics, model } = await loadConfig(root);

    expect(diagnostics.map((diagnostic) => [diagnostic.file, diagnostic.line, diagnostic.severity, diagnostic.code])).toEqual([["identities/nowhere.yaml", 10, "warning", "scope-no-projects"]]);
    expect(model.identities.has("nowhere")).toBe(true);
  });
});
