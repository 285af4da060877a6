import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import type { ReadStatusResult } from "../status/file.js";
import { readStatusFile } from "../status/file.js";

/**
 * Reads status file content that did not come from the config folder (a git object of
 * the base commit), with the same parsing and schema checks as the status file on disk.
 * The text goes through a private temporary folder because the status reader reads files.
 */
export async function readStatusText(text: string, statusFile: string): Promise<ReadStatusResult> {
  const folder = await mkdtemp(path.join(tmpdir(), "wid-status-"));
  try {
    const target = path.join(folder, path.basename(statusFile));
    await writeFile(target, text, "utf8");
    const result = await readStatusFile(folder, path.basename(statusFile));
    // Diagnostics name the status file as the config has it, not the temporary copy.
    return { status: result.status, missing: result.missing, diagnostics: result.diagnostics.map((diagnostic) => ({ ...diagnostic, file: statusFile })) };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
