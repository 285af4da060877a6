import path from "node:path";

import type { Diagnostic } from "./diagnostics.js";
import { compareDiagnostics, hasErrors } from "./diagnostics.js";
import type { DocumentResult } from "./documents.js";
import { buildDocument } from "./documents.js";
import type { ConfigFile } from "./files.js";
import { compareBytes } from "../text/order.js";
import { listConfigFiles, readConfigFiles } from "./files.js";
import type { LoadedConfig } from "./model.js";
import { DEFAULT_STATUS_FILE } from "./model.js";
import { quote } from "./quote.js";
import { assembleModel } from "./references.js";
import type { StatusFileDeclaration } from "./status-file-setting.js";
import { checkStatusFilePath, configDocumentKind, findStatusFileDeclaration } from "./status-file-setting.js";
import { parseConfigFile } from "./yaml.js";

/** The results and diagnostics of the documents of one file. */
interface FileOutcome {
  file: string;
  results: DocumentResult[];
  diagnostics: Diagnostic[];
  /** A document of the file could not be parsed or named, so it may define identities wid cannot name. */
  unreadable: boolean;
  /** The kind of a config document in the file, used to check that it is not the status file. */
  configKind: string | undefined;
}

/**
 * Loads and validates the config repository under `root`: every `.yaml` and `.yml` file
 * outside dot folders, except the status file. Never throws for bad content; every
 * problem becomes a diagnostic. Throws only when `root` itself cannot be listed.
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
  let declaration: StatusFileDeclaration | undefined;
  for (const file of read.files) {
    const { outcome, declaration: declared } = await checkFile(file);
    declaration ??= declared;
    outcomes.push(outcome);
  }

  // The status file lives in the repository but is not configuration. When wid may not
  // write it there, the Settings are invalid and no file is left out.
  const statusFile = declaration?.path ?? DEFAULT_STATUS_FILE;
  const statusProblem = declaration === undefined ? undefined : await rejectStatusFile(absoluteRoot, declaration, outcomes);
  const isConfig = (file: string): boolean => statusProblem !== undefined || file !== statusFile;
  const configOutcomes = outcomes.filter((outcome) => isConfig(outcome.file));
  const diagnostics: Diagnostic[] = [
    ...listed.diagnostics,
    ...read.diagnostics.filter((diagnostic) => isConfig(diagnostic.file)),
    ...configOutcomes.flatMap((outcome) => outcome.diagnostics),
    ...(statusProblem !== undefined ? [statusProblem] : []),
  ];
  const unreadable = [...listed.unreadable, ...read.rejected.filter(isConfig), ...configOutcomes.filter((outcome) => outcome.unreadable).map((outcome) => outcome.file)];

  // Then the rules that span documents.
  const model = assembleModel(
    configOutcomes.flatMap((outcome) => outcome.results),
    configOutcomes.map((outcome) => outcome.file),
    unreadable.sort(compareBytes),
    diagnostics,
  );

  diagnostics.sort(compareDiagnostics);
  return { root: absoluteRoot, model, diagnostics };
}

/**
 * Parses and validates the documents of one file. An exception, such as a stack
 * overflow that the limits in the parsers and validators missed, makes the whole file
 * unreadable instead of escaping: its identities then keep their state.
 */
async function checkFile(file: ConfigFile): Promise<{ outcome: FileOutcome; declaration: StatusFileDeclaration | undefined }> {
  try {
    const parsed = parseConfigFile(file);
    const outcome: FileOutcome = {
      file: file.file,
      results: [],
      diagnostics: parsed.diagnostics,
      unreadable: hasErrors(parsed.diagnostics),
      configKind: configDocumentKind(parsed.documents),
    };
    for (const document of parsed.documents) outcome.results.push(await buildDocument(document, outcome.diagnostics));
    // A document with errors that names nothing may be an identity whose name is hidden.
    if (outcome.results.some((result) => result.kind === "Unidentified")) outcome.unreadable = true;
    return { outcome, declaration: findStatusFileDeclaration(parsed.documents) };
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const diagnostic: Diagnostic = {
      file: file.file,
      line: 1,
      column: 1,
      severity: "error",
      code: "file-check-failed",
      message: `file could not be checked (${quote(reason, { json: false })}), so it is treated as unreadable; simplify the file, and report the problem to the wid maintainers`,
    };
    return { outcome: { file: file.file, results: [], diagnostics: [diagnostic], unreadable: true, configKind: undefined }, declaration: undefined };
  }
}

/**
 * Checks the declared status file path, and on a problem marks the declaring Settings
 * document invalid, so that nothing is applied and no status file is written.
 */
async function rejectStatusFile(root: string, declaration: StatusFileDeclaration, outcomes: FileOutcome[]): Promise<Diagnostic | undefined> {
  const target = outcomes.find((outcome) => outcome.file === declaration.path);
  const problem = await checkStatusFilePath(root, declaration, target?.configKind);
  if (problem === undefined) return undefined;
  const settings = outcomes.find((outcome) => outcome.file === declaration.document.file);
  if (settings !== undefined) settings.results[declaration.document.index] = { kind: "InvalidSettings" };
  return problem;
}
