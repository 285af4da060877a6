import path from "node:path";

import type { Diagnostic } from "./diagnostics.js";
import { compareDiagnostics } from "./diagnostics.js";
import type { DocumentResult } from "./documents.js";
import { buildDocument } from "./documents.js";
import { listConfigFiles, readConfigFiles } from "./files.js";
import type { LoadedConfig } from "./model.js";
import { DEFAULT_STATUS_FILE } from "./model.js";
import { assembleModel } from "./references.js";
import type { ParsedDocument } from "./yaml.js";
import { parseConfigFile } from "./yaml.js";

/**
 * Loads and validates the config repository under `root`: every `.yaml` and `.yml` file
 * outside dot folders, except the status file. Never throws for bad content; every
 * problem becomes a diagnostic. Throws only when `root` itself cannot be read.
 */
export async function loadConfig(root: string): Promise<LoadedConfig> {
  const absoluteRoot = path.resolve(root);
  const diagnostics: Diagnostic[] = [];

  // Read: list, size-check and decode the files.
  const listed = await listConfigFiles(absoluteRoot);
  diagnostics.push(...listed.diagnostics);
  const read = await readConfigFiles(absoluteRoot, listed.files);
  const unreadable = new Set(read.rejected);

  // Parse: YAML syntax, duplicate keys and alias limits, per file.
  const parsed: { document: ParsedDocument; file: string }[] = [];
  const parseDiagnostics: Diagnostic[] = [];
  for (const file of read.files) {
    const result = parseConfigFile(file);
    parseDiagnostics.push(...result.diagnostics);
    if (result.diagnostics.some((diagnostic) => diagnostic.severity === "error")) unreadable.add(file.file);
    for (const document of result.documents) parsed.push({ document, file: file.file });
  }

  // The status file lives in the repository but is not configuration.
  const statusFile = findStatusFile(parsed.map((entry) => entry.document));
  const isStatusFile = (file: string): boolean => file === statusFile;
  for (const diagnostic of [...read.diagnostics, ...parseDiagnostics]) {
    if (!isStatusFile(diagnostic.file)) diagnostics.push(diagnostic);
  }
  unreadable.delete(statusFile);

  // Validate: each document on its own, then the rules that span documents.
  const results: DocumentResult[] = [];
  for (const { document, file } of parsed) {
    if (isStatusFile(file)) continue;
    results.push(await buildDocument(document, diagnostics));
  }
  const files = read.files.map((file) => file.file).filter((file) => !isStatusFile(file));
  const model = assembleModel(results, files, [...unreadable].sort(), diagnostics);

  diagnostics.sort(compareDiagnostics);
  return { root: absoluteRoot, model, diagnostics };
}

/** The status file path from the Settings document, read before validation. */
function findStatusFile(documents: readonly ParsedDocument[]): string {
  for (const document of documents) {
    const value = document.value as Record<string, unknown> | null;
    if (value?.kind !== "Settings") continue;
    const spec = value.spec as Record<string, unknown> | undefined;
    if (typeof spec?.statusFile === "string") return path.posix.normalize(spec.statusFile);
  }
  return DEFAULT_STATUS_FILE;
}
