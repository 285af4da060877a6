import { mkdir, mkdtemp, readdir, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll, describe, expect, it } from "vitest";

import { loadConfig } from "../../src/config/load.js";
import { runCli } from "../support/cli.js";
import { awsIdentity, BASE_FILES, removeRepos, SIMPLE_POLICY, writeRepo } from "../support/repo.js";

/**
 * `spec.statusFile` must name a path that wid may overwrite: never a config file, and
 * never a path that goes through a symbolic link out of the config directory.
 */

afterAll(removeRepos);

const OTHER = "identities/other.yaml";
const settingsWithStatusFile = (statusFile: string): string => `${BASE_FILES["settings.yaml"]}  statusFile: ${statusFile}\n`;

describe("statusFile setting", () => {
  it("rejects a config file as the status file", async () => {
    const root = await writeRepo({ "settings.yaml": settingsWithStatusFile(OTHER), [OTHER]: awsIdentity("other", SIMPLE_POLICY) });
    const { diagnostics, model } = await loadConfig(root);

    const errors = diagnostics.filter((diagnostic) => diagnostic.severity === "error");
    expect(errors.map((diagnostic) => [diagnostic.file, diagnostic.line, diagnostic.code])).toEqual([["settings.yaml", 5, "settings-status-file"]]);
    expect(errors[0]?.message).toContain(`spec.statusFile: "${OTHER}" names a config file`);
    expect(errors[0]?.message).toContain("WorkloadIdentity");
    expect(model.settings).toBeUndefined();
    // The file is still read as configuration.
    expect(model.files).toContain(OTHER);
    expect([...model.identities.keys()]).toEqual(["other"]);
  });

  it("accepts an existing status file", async () => {
    const status = "apiVersion: wid/v1\nkind: Status\nrevision: null\nintegrations: {}\nidentities: {}\nworkloads: {}\n";
    const root = await writeRepo({ "settings.yaml": settingsWithStatusFile("state/status.yaml"), "state/status.yaml": status });
    const { diagnostics, model } = await loadConfig(root);

    expect(diagnostics).toEqual([]);
    expect(model.settings?.statusFile).toBe("state/status.yaml");
    expect(model.files).not.toContain("state/status.yaml");
  });

  it("leaves a config file unchanged on apply", async () => {
    const root = await writeRepo({ "settings.yaml": settingsWithStatusFile(OTHER), [OTHER]: awsIdentity("other", SIMPLE_POLICY) });
    const before = await readFile(path.join(root, OTHER), "utf8");

    const applied = await runCli(["apply", root]);

    expect(applied.code).toBe(1);
    expect(applied.stderr).toContain("settings.yaml:5:15: error: spec.statusFile:");
    expect(await readFile(path.join(root, OTHER), "utf8")).toBe(before);
  });

  it.each([
    ["the default folder", undefined, ".wid"],
    ["a declared folder", "state/status.yaml", "state"],
  ])("rejects a link in %s", async (_, statusFile, link) => {
    const outside = await mkdtemp(path.join(tmpdir(), "wid-outside-"));
    const root = await writeRepo(statusFile === undefined ? {} : { "settings.yaml": settingsWithStatusFile(statusFile) });
    await symlink(outside, path.join(root, link));

    const { diagnostics, model } = await loadConfig(root);
    const applied = await runCli(["apply", root]);

    const error = diagnostics.find((diagnostic) => diagnostic.code === "settings-status-file");
    expect(error?.file).toBe("settings.yaml");
    expect(error?.message).toContain(`goes through the symbolic link ${link}`);
    expect(model.settings).toBeUndefined();
    expect(applied.code).toBe(1);
    expect(await readdir(outside)).toEqual([]);
    await rm(outside, { recursive: true });
  });

  it.each(["../../etc/status.yaml", "/etc/status.yaml", ".", "state/../../status.yaml"])("reports %s without throwing", async (statusFile) => {
    const root = await writeRepo({ "settings.yaml": settingsWithStatusFile(`"${statusFile}"`) });

    const { diagnostics, model } = await loadConfig(root);

    expect(diagnostics.map((diagnostic) => [diagnostic.file, diagnostic.code])).toContainEqual(["settings.yaml", "schema-format"]);
    expect(model.settings).toBeUndefined();
  });

  it("rejects a linked status file", async () => {
    const outside = await mkdtemp(path.join(tmpdir(), "wid-outside-"));
    const root = await writeRepo({});
    await mkdir(path.join(root, ".wid"));
    await symlink(path.join(outside, "status.yaml"), path.join(root, ".wid", "status.yaml"));

    const { diagnostics } = await loadConfig(root);

    expect(diagnostics.find((diagnostic) => diagnostic.code === "settings-status-file")?.message).toContain("goes through the symbolic link .wid/status.yaml");
    await rm(outside, { recursive: true });
  });
});
