import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import type { Dirent } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";

import type { Diagnostic } from "./diagnostics.js";
import { compareBytes } from "../text/order.js";

/**
 * Maximum size of one config file. An identity file with a maximum-size policy is about
 * 15 KiB, so 1 MiB leaves room for files that hold many workloads while rejecting a
 * misplaced dump before it is read into memory.
 */
export const MAX_FILE_BYTES = 1024 * 1024;

/** A config file read from disk and checked to be UTF-8 text. */
export interface ConfigFile {
  /** Path relative to the config root, with `/` separators. */
  file: string;
  text: string;
}

export interface ReadFilesResult {
  files: ConfigFile[];
  /** Files that exist but could not be used (too large, binary, unreadable). */
  rejected: string[];
  diagnostics: Diagnostic[];
}

/** The config files under a root, and the paths that may hold config but were not read. */
export interface ListedFiles {
  files: string[];
  /**
   * Paths that may hold config but were not read: a symbolic link with a YAML name,
   * listed as its path, and a link to a folder (or to nothing) or a folder that cannot
   * be listed, listed as its path with a trailing `/`.
   */
  unreadable: string[];
  diagnostics: Diagnostic[];
}

/**
 * Lists every `.yaml` and `.yml` file under `root`, recursively and in byte order of
 * their relative paths. Folders whose name starts with `.` are skipped. Symbolic links
 * are never followed, so that a config repository cannot make wid read a file outside
 * it. A link that may stand for config files is an error, and so is a folder that
 * cannot be listed, because the identities they defined would otherwise look removed.
 * Throws only when `root` itself cannot be listed.
 */
export async function listConfigFiles(root: string): Promise<ListedFiles> {
  const listed: ListedFiles = { files: [], unreadable: [], diagnostics: [] };

  async function walk(relativeDir: string): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(path.join(root, relativeDir), { withFileTypes: true });
    } catch (error) {
      if (relativeDir === "") throw error;
      listed.unreadable.push(`${relativeDir}/`);
      listed.diagnostics.push({
        file: relativeDir,
        line: 1,
        column: 1,
        severity: "error",
        code: "folder-unreadable",
        message: `folder could not be listed (${errorCode(error)}), so deletes are suspended and the identities of files under it keep their state; check that wid may read it`,
      });
      return;
    }
    for (const entry of entries) {
      const relative = relativeDir === "" ? entry.name : `${relativeDir}/${entry.name}`;
      if (entry.isSymbolicLink()) {
        await checkLink(root, relative, entry.name, listed);
      } else if (entry.isDirectory()) {
        if (!isSkippedFolder(entry.name)) await walk(relative);
      } else if (isYamlName(entry.name) && entry.isFile()) {
        listed.files.push(relative);
      }
    }
  }

  await walk("");
  listed.files.sort(compareBytes);
  listed.unreadable.sort(compareBytes);
  return listed;
}

/**
 * Tests whether a folder is skipped when searching for config: folders whose name starts
 * with `.` (`.git`, `.github`, `.wid`) and `node_modules`, which contains other projects' YAML.
 */
function isSkippedFolder(name: string): boolean {
  return name.startsWith(".") || name === "node_modules";
}

/**
 * Reports a symbolic link that may stand for config. That is a link with a YAML name,
 * or a link to a folder or to nothing whose name does not start with `.` (folders with
 * such names are skipped anyway). A link to a regular file of another kind, such as
 * `README.md`, is ignored.
 */
async function checkLink(root: string, relative: string, name: string, listed: ListedFiles): Promise<void> {
  const fix = "wid does not follow links, so that a config repository cannot make it read files outside it";
  if (isYamlName(name)) {
    listed.unreadable.push(relative);
    listed.diagnostics.push({
      file: relative,
      line: 1,
      column: 1,
      severity: "error",
      code: "file-symlink-skipped",
      message: `file is a symbolic link and was not read; ${fix}. Until the link is replaced with the file itself, deletes are suspended and the identities it defined keep their state`,
    });
    return;
  }
  if (name.startsWith(".") || (await isLinkToFile(path.join(root, relative)))) return;
  listed.unreadable.push(`${relative}/`);
  listed.diagnostics.push({
    file: relative,
    line: 1,
    column: 1,
    severity: "error",
    code: "folder-symlink-skipped",
    message: `folder is a symbolic link (or a link to nothing) and was not read; ${fix}. Until the link is replaced with the folder itself, deletes are suspended and the identities of files under it keep their state`,
  });
}

async function isLinkToFile(absolute: string): Promise<boolean> {
  try {
    return (await stat(absolute)).isFile();
  } catch {
    return false;
  }
}

/**
 * Reads the listed files, rejecting those over {@link MAX_FILE_BYTES} without reading
 * them, those that are not UTF-8 text, and those that cannot be opened. Results keep
 * the order of `relativePaths`.
 *
 * The reads are synchronous: for thousands of small files, promise-based reads cost
 * several times more CPU (10,500 files of the resolve benchmark: about 0.8 s against
 * 0.1 s on 2 cores), and the parsing that follows blocks the event loop longer anyway.
 */
export async function readConfigFiles(root: string, relativePaths: readonly string[]): Promise<ReadFilesResult> {
  const result: ReadFilesResult = { files: [], rejected: [], diagnostics: [] };
  for (const file of relativePaths) {
    const outcome = readConfigFile(path.join(root, file));
    if ("text" in outcome) {
      result.files.push({ file, text: outcome.text });
    } else {
      result.rejected.push(file);
      result.diagnostics.push({ file, line: 1, column: 1, severity: "error", code: outcome.code, message: outcome.message });
    }
  }
  return result;
}

type ReadOutcome = { text: string } | { code: string; message: string };

/** O_NOFOLLOW makes the open fail when a file was replaced by a symbolic link after listing. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);

function readConfigFile(absolute: string): ReadOutcome {
  let descriptor: number;
  try {
    descriptor = openSync(absolute, OPEN_FLAGS);
  } catch (error) {
    return { code: "file-unreadable", message: `file could not be opened (${errorCode(error)}); check that it is a regular file that wid may read` };
  }

  try {
    const size = fstatSync(descriptor).size;
    if (size > MAX_FILE_BYTES) {
      return {
        code: "file-too-large",
        message: `file is ${formatBytes(size)}, over the limit of ${formatBytes(MAX_FILE_BYTES)}; split it into smaller files or move it out of the config directory`,
      };
    }
    // One byte more than the size shows a file that grew since; the cap still holds.
    const bytes = readAtMost(descriptor, size + 1);
    if (bytes.length > MAX_FILE_BYTES) {
      return { code: "file-too-large", message: `file is over the limit of ${formatBytes(MAX_FILE_BYTES)}; split it into smaller files or move it out of the config directory` };
    }
    if (bytes.includes(0)) {
      return { code: "file-binary", message: "file contains NUL bytes and is not YAML text; remove it or rename it so that it does not end in .yaml or .yml" };
    }
    try {
      return { text: new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes) };
    } catch {
      return { code: "file-not-utf8", message: "file is not valid UTF-8 text; save it as UTF-8" };
    }
  } catch (error) {
    return { code: "file-unreadable", message: `file could not be read (${errorCode(error)}); check that it is a regular file that wid may read` };
  } finally {
    closeSync(descriptor);
  }
}

function errorCode(error: unknown): string {
  return error instanceof Error && "code" in error && typeof error.code === "string" ? error.code : String(error);
}

function isYamlName(name: string): boolean {
  return name.endsWith(".yaml") || name.endsWith(".yml");
}

function readAtMost(descriptor: number, maxBytes: number): Buffer {
  const buffer = Buffer.alloc(Math.min(maxBytes, MAX_FILE_BYTES + 1));
  let total = 0;
  while (total < buffer.length) {
    const bytesRead = readSync(descriptor, buffer, total, buffer.length - total, total);
    if (bytesRead === 0) break;
    total += bytesRead;
  }
  return buffer.subarray(0, total);
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}
