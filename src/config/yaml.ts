import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments } from "yaml";
import type { Document, Node, Pair } from "yaml";

import type { Diagnostic, NodePath, PathFinding } from "./diagnostics.js";
import { formatPath } from "./diagnostics.js";
import type { ConfigFile } from "./files.js";

/**
 * Maximum number of alias expansions per document. Config files rarely need aliases at
 * all; the limit stops an alias bomb ("billion laughs") before it is expanded.
 */
export const MAX_ALIAS_COUNT = 100;

/** One YAML document of a config file, with the syntax tree kept for positions. */
export interface ParsedDocument {
  file: string;
  /** 0-based index of the document within its file. */
  index: number;
  /** The document converted to plain JavaScript values. */
  value: unknown;
  /** Resolves a node path to a position; see {@link locate}. */
  position(path: NodePath, options?: { atKey?: boolean }): Position;
  /** The original source text of the scalar at `path`, when it is a scalar. */
  sourceText(path: NodePath): string | undefined;
}

export interface Position {
  line: number;
  column: number;
}

export interface ParseFileResult {
  documents: ParsedDocument[];
  diagnostics: Diagnostic[];
}

/**
 * Parses every document of a file with the YAML 1.2 core schema, where `yes`, `no`
 * and `on` stay strings. Duplicate keys and excessive aliases are errors. A document
 * with syntax errors is reported and left out, and the other documents of the file
 * are still returned.
 */
export function parseConfigFile(file: ConfigFile): ParseFileResult {
  const lineCounter = new LineCounter();
  const result: ParseFileResult = { documents: [], diagnostics: [] };
  const parsed = parseAllDocuments(file.text, {
    lineCounter,
    schema: "core",
    version: "1.2",
    uniqueKeys: true,
    merge: false,
    prettyErrors: false,
    strict: true,
  });
  // An empty stream (comments only) has no documents.
  const documents: Document.Parsed[] = Array.isArray(parsed) ? parsed : [];

  documents.forEach((doc, index) => {
    const at = (offset: number): Position => {
      const { line, col } = lineCounter.linePos(offset);
      return { line, column: col };
    };

    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        const position = at(error.pos[0]);
        result.diagnostics.push({
          file: file.file,
          ...position,
          severity: "error",
          code: error.code === "DUPLICATE_KEY" ? "yaml-duplicate-key" : "yaml-syntax",
          message: describeYamlError(error.code, error.message),
        });
      }
      return;
    }
    if (doc.contents === null) return;

    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      const position = at(doc.contents.range[0]);
      const tooMany = error instanceof ReferenceError;
      result.diagnostics.push({
        file: file.file,
        ...position,
        severity: "error",
        code: tooMany ? "yaml-alias-limit" : "yaml-syntax",
        message: tooMany
          ? `document expands more than ${MAX_ALIAS_COUNT} aliases; write the values out instead of repeating anchors`
          : `document could not be read: ${(error as Error).message}`,
      });
      return;
    }

    result.documents.push({
      file: file.file,
      index,
      value,
      position: (path, options) => at(locateOffset(doc, path, options?.atKey ?? false)),
      sourceText: (path) => {
        const node = findNode(doc, path);
        return node !== undefined && isScalar(node) ? node.source ?? undefined : undefined;
      },
    });
  });

  return result;
}

/** Converts a validator finding into a diagnostic positioned on its node. */
export function toDiagnostic(document: ParsedDocument, finding: PathFinding): Diagnostic {
  const position = document.position(finding.path, { atKey: finding.atKey ?? false });
  const field = finding.path.length > 0 ? formatPath(finding.path) : undefined;
  return {
    file: document.file,
    ...position,
    severity: finding.severity,
    code: finding.code,
    message: field !== undefined ? `${field}: ${finding.message}` : finding.message,
    ...(field !== undefined ? { field } : {}),
  };
}

/**
 * Returns the source offset of the node at `path`, or of its nearest existing ancestor
 * when the path does not exist (a missing field is reported on its parent).
 */
function locateOffset(doc: Document.Parsed, path: NodePath, atKey: boolean): number {
  let node: Node | null = doc.contents;
  let offset = node?.range?.[0] ?? 0;

  for (let i = 0; i < path.length && node !== null; i++) {
    node = resolveAlias(doc, node);
    const segment = path[i];
    const isLast = i === path.length - 1;

    if (isMap(node)) {
      const pair: Pair | undefined = node.items.find((item) => isPair(item) && keyEquals(item.key, segment));
      if (pair === undefined) break;
      const keyNode = pair.key as Node | null;
      if (isLast && atKey && keyNode?.range != null) return keyNode.range[0];
      node = (pair.value as Node | null) ?? keyNode;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment] as Node | undefined;
      if (item === undefined) break;
      node = item;
    } else {
      break;
    }
    if (node?.range != null) offset = node.range[0];
  }

  return offset;
}

function findNode(doc: Document.Parsed, path: NodePath): Node | undefined {
  let node: Node | null = doc.contents;
  for (const segment of path) {
    if (node === null) return undefined;
    node = resolveAlias(doc, node);
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && keyEquals(item.key, segment));
      if (pair === undefined) return undefined;
      node = pair.value as Node | null;
    } else if (isSeq(node) && typeof segment === "number") {
      node = (node.items[segment] as Node | undefined) ?? null;
    } else {
      return undefined;
    }
  }
  return node ?? undefined;
}

function resolveAlias(doc: Document.Parsed, node: Node): Node {
  if (!isAlias(node)) return node;
  return (node.resolve(doc) as Node | undefined) ?? node;
}

function keyEquals(key: unknown, segment: string | number | undefined): boolean {
  if (isScalar(key)) return key.value === segment || String(key.value) === String(segment);
  return false;
}

/** Rewrites the yaml library's messages into what happened and what to do. */
function describeYamlError(code: string, message: string): string {
  const firstLine = message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "") ?? message;
  switch (code) {
    case "DUPLICATE_KEY":
      return "duplicate key: a key may appear only once in a mapping; remove or rename one of them";
    case "TAB_AS_INDENT":
      return "tab used for indentation: YAML indents with spaces only";
    default:
      return `invalid YAML: ${firstLine}`;
  }
}
