import path from "node:path";

import type { Diagnostic } from "./diagnostics.js";
import { compareDiagnostics, hasErrors } from "./diagnostics.js";
import type { DocumentResult } from "./documents.js";
import { buildDocument } from "./documents.js";
import { listConfigFiles, readConfigFiles } from "./files.js";
import type { LoadedConfig } from "./model.js";
import { DEFAULT_STATUS_FILE } from "./model.js";
import { assembleModel } from "./references.js";
import { isMapping } from "./values.js";
import type { ParsedDocument } from "./yaml.js";
import { parseConfigFile } from "./yaml.js";

/** The results and diagnostics of the documents of one file. */
interface FileOutcome {
  file: string;
  results: DocumentResult[];
  diagnostics: Diagnostic[];
  /** A document of the file could not be parsed or named, so it may define identities wid cannot name. */
  unreadable: boolean;
}

/**
 * Loads and validates the config repository under `root`: every `.yaml` and `.yml` file
 * outside dot folders, except the status file. Never throws for bad content; every
 * problem becomes a diagnostic. Throws only when `root` itself cannot be read.
 *
 * Files are parsed and validated one at a time. For most files, the syntax tree with
 * positions is built only when a finding or a source location in that file is read.
 */
export async function loadConfig(root: string): Promise<LoadedConfig> {
  const absoluteRoot = path.resolve(root);

  // Read: list, size-check and decode the files.
  const listed = await listConfigFiles(absoluteRoot);
  const read = await readConfigFiles(absoluteRoot, listed.files);

  // Parse and validate each document on its own, file by file.
  const outcomes: FileOutcome[] = [];
  let statusFile: string | undefined;
  for (const file of read.files) {
    const parsed = parseConfigFile(file);
    statusFile ??= declaredStatusFile(parsed.documents);
    const outcome: FileOutcome = { file: file.file, results: [], diagnostics: parsed.diagnostics, unreadable: hasErrors(parsed.diagnostics) };
    for (const document of parsed.documents) outcome.results.push(await buildDocument(document, outcome.diagnostics));
    // A document with errors that names nothing may be an identity whose name is hidden.
    if (outcome.results.some((result) => result.kind === "Unidentified")) outcome.unreadable = true;
    outcomes.push(outcome);
  }

  // The status file lives in the repository but is not configuration.
  const isConfig = (file: string): boolean => file !== (statusFile ?? DEFAULT_STATUS_FILE);
  const configOutcomes = outcomes.filter((outcome) => isConfig(outcome.file));
  const diagnostics: Diagnostic[] = [
    ...listed.diagnostics,
    ...read.diagnostics.filter((diagnostic) => isConfig(diagnostic.file)),
    ...configOutcomes.flatMap((outcome) => outcome.diagnostics),
  ];
  const unreadable = [...listed.links, ...read.rejected.filter(isConfig), ...configOutcomes.filter((outcome) => outcome.unreadable).map((outcome) => outcome.file)];

  // Then the rules that span documents.
  const model = assembleModel(
    configOutcomes.flatMap((outcome) => outcome.results),
    configOutcomes.map((outcome) => outcome.file),
    unreadable.sort(),
    diagnostics,
  );

  diagnostics.sort(compareDiagnostics);
  return { root: absoluteRoot, model, diagnostics };
}

/** Returns the status file path of the first Settings document among `documents`, read before validation. */
function declaredStatusFile(documents: readonly ParsedDocument[]): string | undefined {
  for (const { value } of documents) {
    if (!isMapping(value) || value.kind !== "Settings") continue;
    const statusFile = isMapping(value.spec) ? value.spec.statusFile : undefined;
    return typeof statusFile === "string" ? path.posix.normalize(statusFile) : DEFAULT_STATUS_FILE;
  }
  return undefined;
}
