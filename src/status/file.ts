import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";

import { parse, stringify } from "yaml";

import type { Diagnostic } from "../config/diagnostics.js";
import { FindingSink } from "../config/diagnostics.js";
import { schemas } from "../config/schema.js";
import { rejectLinks, writeFileAtomic } from "../fs/atomic-write.js";
import { systemErrorCode } from "../fs/error-code.js";
import { orderByStatusSchema } from "./order.js";
import type { StatusFile } from "./types.js";

const HEADER = "# Written by wid; do not edit. wid rewrites this file when the state it describes changes.\n";

export interface ReadStatusResult {
  status: StatusFile | undefined;
  diagnostics: Diagnostic[];
  /** True when no file exists at the path, as before the first reconcile. */
  missing: boolean;
}

/**
 * Reads the status file at `statusFile` under `root`. A missing file is not an error.
 * A file that is not valid YAML or does not match the status schema is reported as a
 * warning and treated as missing, because wid rewrites it on the next reconcile.
 */
export async function readStatusFile(root: string, statusFile: string): Promise<ReadStatusResult> {
  let text: string;
  try {
    text = await readFile(path.join(root, statusFile), "utf8");
  } catch (error) {
    if (systemErrorCode(error) === "ENOENT") return { status: undefined, diagnostics: [], missing: true };
    throw error;
  }

  const warn = (message: string): ReadStatusResult => ({
    status: undefined,
    missing: false,
    diagnostics: [{ file: statusFile, line: 1, column: 1, severity: "warning", code: "status-invalid", message }],
  });
  let value: unknown;
  try {
    value = parse(text, { schema: "core", uniqueKeys: true, maxAliasCount: 0 });
  } catch (error) {
    const reason = error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
    return warn(`status file is not valid YAML (${reason}); it is ignored and rewritten on the next reconcile`);
  }
  const sink = new FindingSink();
  if (!isStatusFile(value, sink)) {
    const first = sink.findings[0];
    return warn(`status file does not match the status schema (${first?.message ?? "invalid"}); it is ignored and rewritten on the next reconcile`);
  }
  return { status: value, diagnostics: [], missing: false };
}

/**
 * Checks a parsed status file against the status schema, recording problems in `sink`.
 * The schema describes every field of {@link StatusFile}, so a value it accepts has that type.
 */
function isStatusFile(value: unknown, sink: FindingSink): value is StatusFile {
  return schemas().validate("Status", value, sink, () => undefined);
}

/**
 * Serializes a status file with fields in the schema's order and map keys in byte
 * order, so that equal states always give equal text.
 */
export function serializeStatus(status: StatusFile): string {
  return HEADER + stringify(orderByStatusSchema(status), { lineWidth: 0, aliasDuplicateObjects: false });
}

/**
 * Writes the status file when its content differs from what is on disk, atomically (see
 * {@link writeFileAtomic}). Returns whether the file changed. Throws an
 * `UnsafePathError`, and writes nothing, when the file or a folder on its path
 * under `root` is a symbolic link, because the write would land wherever the link points.
 */
export async function writeStatusFile(root: string, statusFile: string, status: StatusFile): Promise<boolean> {
  return writeStatusText(root, statusFile, serializeStatus(status));
}

/** Writes serialized status text like {@link writeStatusFile}; `statusFile` is relative to `root`. */
export async function writeStatusText(root: string, statusFile: string, text: string): Promise<boolean> {
  const target = path.join(root, statusFile);
  await rejectLinks(root, target);
  const current = await readFile(target, "utf8").catch(() => undefined);
  if (current === text) return false;

  await mkdir(path.dirname(target), { recursive: true });
  await writeFileAtomic(target, text, { root });
  return true;
}
