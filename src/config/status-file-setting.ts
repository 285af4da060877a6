import path from "node:path";

import { firstSymbolicLink, insidePath } from "../fs/links.js";
import type { Diagnostic } from "./diagnostics.js";
import { DEFAULT_STATUS_FILE } from "./model.js";
import { quote } from "./quote.js";
import type { ParsedDocument } from "./yaml.js";
import { toDiagnostic } from "./yaml.js";
import { isRecord } from "../json/record.js";

/** The kind of the status file's document; a document of another kind is configuration. */
const STATUS_KIND = "Status";

/** The status file path that the first Settings document declares, read before validation. */
export interface StatusFileDeclaration {
  /** The path relative to the config root, normalized; the default when the Settings document names none. */
  path: string;
  /** The Settings document. */
  document: ParsedDocument;
}

/** Returns the status file declaration of the first Settings document among `documents`, if there is one. */
export function findStatusFileDeclaration(documents: readonly ParsedDocument[]): StatusFileDeclaration | undefined {
  for (const document of documents) {
    const value = document.value;
    if (!isRecord(value) || value.kind !== "Settings") continue;
    const statusFile = isRecord(value.spec) ? value.spec.statusFile : undefined;
    return { path: typeof statusFile === "string" ? path.posix.normalize(statusFile) : DEFAULT_STATUS_FILE, document };
  }
  return undefined;
}

/**
 * Returns the kind of the first document that makes a file configuration rather than a
 * status file: a mapping with a `kind` other than `Status`, or with `apiVersion`,
 * `metadata` or `spec` but no kind. Returns undefined for a status file, and for a file
 * whose documents could not be parsed (a status file with merge conflict markers is one).
 */
export function configDocumentKind(documents: readonly ParsedDocument[]): string | undefined {
  for (const { value } of documents) {
    if (!isRecord(value) || value.kind === STATUS_KIND) continue;
    if (typeof value.kind === "string") return value.kind;
    if (["kind", "apiVersion", "metadata", "spec"].some((key) => key in value)) return "config";
  }
  return undefined;
}

/**
 * Checks that wid may write the status file at `declaration.path`: the file is not a
 * config file (`configKind` is the kind of one of its documents, from
 * {@link configDocumentKind}), and no component of its path under `root` is a symbolic
 * link, through which a write would land outside the config directory. Returns the
 * error on `spec.statusFile`, or undefined.
 */
export async function checkStatusFilePath(root: string, declaration: StatusFileDeclaration, configKind: string | undefined): Promise<Diagnostic | undefined> {
  const written = quote(declaration.path);
  let problem: string | undefined;
  if (configKind !== undefined) {
    const holds = configKind === "config" ? "a config document" : `a ${configKind} document`;
    problem = `${written} names a config file: it contains ${holds}, and wid would overwrite it with the status. Choose a path that no config file uses, such as ${DEFAULT_STATUS_FILE}`;
  } else if (isInside(root, declaration.path)) {
    // A path outside the root breaks the schema's pattern, which reports it.
    problem = await linkProblem(root, declaration.path, written);
  }
  if (problem === undefined) return undefined;
  return toDiagnostic(declaration.document, { path: ["spec", "statusFile"], severity: "error", code: "settings-status-file", message: problem });
}

async function linkProblem(root: string, statusFile: string, written: string): Promise<string | undefined> {
  let link: string | undefined;
  try {
    link = await firstSymbolicLink(root, statusFile);
  } catch (error) {
    const code = error instanceof Error && "code" in error ? String(error.code) : String(error);
    return `${written} could not be checked for symbolic links (${code}); check that wid may read the folders on its path`;
  }
  if (link === undefined) return undefined;
  return `${written} goes through the symbolic link ${quote(link, { json: false })}, so wid would write the status outside the config directory. Replace the link with a folder or choose another path`;
}

function isInside(root: string, relative: string): boolean {
  try {
    insidePath(root, relative);
    return true;
  } catch {
    return false;
  }
}
