import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { UnsafePathError, writeFileAtomic } from "../../src/fs/atomic-write.js";
import { writeStatusFile } from "../../src/status/file.js";
import type { StatusFile } from "../../src/status/types.js";

let dir: string;
let outside: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "wid-atomic-"));
  outside = await mkdtemp(path.join(tmpdir(), "wid-outside-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

const modeOf = async (file: string): Promise<number> => (await stat(file)).mode & 0o777;

describe("writeFileAtomic", () => {
  it("replaces the content and leaves no temporary file", async () => {
    const file = path.join(dir, "a.json");
    await writeFile(file, "old", "utf8");

    await writeFileAtomic(file, "new");

    expect(await readFile(file, "utf8")).toBe("new");
    expect(await readdir(dir)).toEqual(["a.json"]);
  });

  it("sets the mode under a narrow umask", async () => {
    const previous = process.umask(0o077);
    try {
      await writeFileAtomic(path.join(dir, "env"), "A=1\n", { mode: 0o644 });
      await writeFileAtomic(path.join(dir, "token"), "secret", { mode: 0o600 });
    } finally {
      process.umask(previous);
    }

    expect(await modeOf(path.join(dir, "env"))).toBe(0o644);
    expect(await modeOf(path.join(dir, "token"))).toBe(0o600);
  });

  it("applies the umask without a mode", async () => {
    const previous = process.umask(0o027);
    try {
      await writeFileAtomic(path.join(dir, "status.yaml"), "x");
    } finally {
      process.umask(previous);
    }

    expect(await modeOf(path.join(dir, "status.yaml"))).toBe(0o640);
  });

  it("removes the temporary file when the rename fails", async () => {
    const target = path.join(dir, "taken");
    await mkdir(path.join(target, "child"), { recursive: true });

    await expect(writeFileAtomic(target, "x", { sync: true })).rejects.toThrow();

    expect(await readdir(dir)).toEqual(["taken"]);
  });

  it("keeps an existing file when exclusive", async () => {
    const file = path.join(dir, "keys.json");
    await writeFile(file, "original", "utf8");

    await expect(writeFileAtomic(file, "replacement", { exclusive: true, mode: 0o600 })).rejects.toMatchObject({ code: "EEXIST" });

    expect(await readFile(file, "utf8")).toBe("original");
    expect(await readdir(dir)).toEqual(["keys.json"]);
  });

  it("creates a file when exclusive", async () => {
    const file = path.join(dir, "keys.json");

    await writeFileAtomic(file, "new", { exclusive: true, mode: 0o600 });

    expect(await readFile(file, "utf8")).toBe("new");
    expect(await modeOf(file)).toBe(0o600);
    expect(await readdir(dir)).toEqual(["keys.json"]);
  });

  it("rejects a linked folder under the root", async () => {
    await symlink(outside, path.join(dir, "linked"));

    const written = writeFileAtomic(path.join(dir, "linked", "status.yaml"), "x", { root: dir });

    await expect(written).rejects.toBeInstanceOf(UnsafePathError);
    await expect(written).rejects.toThrow("linked/status.yaml was not written because linked is a symbolic link");
    expect(await readdir(outside)).toEqual([]);
  });

  it("rejects a linked file under the root", async () => {
    await writeFile(path.join(outside, "target"), "kept", "utf8");
    await symlink(path.join(outside, "target"), path.join(dir, "status.yaml"));

    await expect(writeFileAtomic(path.join(dir, "status.yaml"), "x", { root: dir })).rejects.toThrow("status.yaml is a symbolic link");

    expect(await readFile(path.join(outside, "target"), "utf8")).toBe("kept");
  });
});

describe("writeStatusFile", () => {
  const status: StatusFile = { apiVersion: "wid/v1", kind: "Status", revision: null, integrations: {}, identities: {}, workloads: {} };

  it("writes nothing through a linked folder", async () => {
    await symlink(outside, path.join(dir, ".wid"));

    await expect(writeStatusFile(dir, ".wid/status.yaml", status)).rejects.toThrow(".wid/status.yaml was not written because .wid is a symbolic link");

    expect(await readdir(outside)).toEqual([]);
  });

  it("writes nothing through a link even when unchanged", async () => {
    await writeStatusFile(outside, "status.yaml", status);
    await mkdir(path.join(dir, ".wid"));
    await symlink(path.join(outside, "status.yaml"), path.join(dir, ".wid", "status.yaml"));

    await expect(writeStatusFile(dir, ".wid/status.yaml", status)).rejects.toBeInstanceOf(UnsafePathError);
  });

  it("creates the folder and writes the file", async () => {
    expect(await writeStatusFile(dir, ".wid/status.yaml", status)).toBe(true);
    expect(await writeStatusFile(dir, ".wid/status.yaml", status)).toBe(false);
    expect(await readdir(path.join(dir, ".wid"))).toEqual(["status.yaml"]);
  });
});
