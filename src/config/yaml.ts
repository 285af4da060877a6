import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments } from "yaml";
import type { Document, Node, Pair, YAMLMap } from "yaml";

import type { Diagnostic, FindingOptions, NodePath, PathFinding } from "./diagnostics.js";
import { formatPath } from "./diagnostics.js";
import { NESTING_DEPTH_MESSAGE } from "./depth.js";
import { embeddedText } from "./embedded-text.js";
import type { ConfigFile } from "./files.js";
import { readCoreYaml } from "./yaml-core.js";
import { duplicateKeyOffsets } from "./yaml-keys.js";
import { describeSyntaxError, DUPLICATE_KEY_MESSAGE } from "./yaml-syntax.js";

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
  /**
   * Resolves a node path to a position: the node's own, or its nearest existing
   * ancestor's when the path does not exist. A path may continue into a string that
   * contains JSON, such as a policy in a `|` block. `offset` may point at a character
   * inside a string value. Both resolve inside the string when it maps back to the file.
   */
  position(path: NodePath, options?: FindingOptions): Position;
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
 *
 * Most files are read with js-yaml, which is fast but keeps no positions. Their
 * positions come from a parse with the `yaml` package made on the first request, so a
 * file without findings is parsed only once. Files that js-yaml does not read the
 * same way (see {@link readCoreYaml}) are parsed with the `yaml` package only.
 */
export function parseConfigFile(file: ConfigFile): ParseFileResult {
  const values = readCoreYaml(file.text);
  if (values === undefined) return parseWithPositions(file);

  let tree: SyntaxTree | undefined;
  const treeOf = (): SyntaxTree => (tree ??= parseSyntaxTree(file.text));
  return {
    diagnostics: [],
    documents: values.map((value, index) => ({
      file: file.file,
      index,
      value,
      position: (path, options) => treeOf().position(index, path, options ?? {}),
      sourceText: (path) => treeOf().sourceText(index, path),
    })),
  };
}

/** The documents of a file as parsed by the `yaml` package, with their positions. */
interface SyntaxTree {
  documents: Document.Parsed[];
  at(offset: number): Position;
  position(index: number, path: NodePath, options: FindingOptions): Position;
  sourceText(index: number, path: NodePath): string | undefined;
}

function parseSyntaxTree(text: string): SyntaxTree {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, {
    lineCounter,
    schema: "core",
    version: "1.2",
    // Checked by duplicateKeyOffsets in linear time instead.
    uniqueKeys: false,
    merge: false,
    prettyErrors: false,
    strict: true,
  });
  // An empty stream (comments only) has no documents.
  const documents: Document.Parsed[] = Array.isArray(parsed) ? parsed : [];
  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  return {
    documents,
    at,
    position(index, path, options) {
      const doc = documents[index];
      return doc === undefined ? { line: 1, column: 1 } : at(locateOffset(doc, text, path, options));
    },
    sourceText(index, path) {
      const doc = documents[index];
      const node = doc === undefined ? undefined : findNode(doc, path);
      return node !== undefined && isScalar(node) ? (node.source ?? undefined) : undefined;
    },
  };
}

/** Parses a file with the `yaml` package only, reporting syntax errors and the alias limit with positions. */
function parseWithPositions(file: ConfigFile): ParseFileResult {
  const result: ParseFileResult = { documents: [], diagnostics: [] };
  const tree = parseSyntaxTree(file.text);

  tree.documents.forEach((doc, index) => {
    // Only the first syntax error is reported, because the later ones usually follow from
    // it. A nesting too deep is reported in its place, because it has its own code.
    const error = doc.errors.find((candidate) => candidate.code === "RESOURCE_EXHAUSTION") ?? doc.errors[0];
    if (error !== undefined) {
      if (error.code === "RESOURCE_EXHAUSTION") {
        result.diagnostics.push({ file: file.file, ...tree.at(error.pos[0]), severity: "error", code: "nesting-depth", message: `document ${NESTING_DEPTH_MESSAGE}` });
        return;
      }
      const finding = describeSyntaxError(doc, error);
      result.diagnostics.push({ file: file.file, ...tree.at(finding.offset), severity: "error", code: "yaml-syntax", message: finding.message });
      return;
    }
    if (doc.contents === null) return;

    const duplicates = duplicateKeyOffsets(doc.contents);
    if (duplicates.length > 0) {
      for (const offset of duplicates) {
        result.diagnostics.push({ file: file.file, ...tree.at(offset), severity: "error", code: "yaml-duplicate-key", message: DUPLICATE_KEY_MESSAGE });
      }
      return;
    }

    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      result.diagnostics.push({ file: file.file, ...tree.at(doc.contents.range[0]), severity: "error", ...describeConversionError(error) });
      return;
    }

    result.documents.push({
      file: file.file,
      index,
      value,
      position: (path, options) => tree.position(index, path, options ?? {}),
      sourceText: (path) => tree.sourceText(index, path),
    });
  });

  return result;
}

/** Converts a validator finding into a diagnostic positioned on its node. */
export function toDiagnostic(document: ParsedDocument, finding: PathFinding): Diagnostic {
  const position = document.position(finding.path, {
    atKey: finding.atKey ?? false,
    ...(finding.offset !== undefined ? { offset: finding.offset } : {}),
  });
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
function locateOffset(doc: Document.Parsed, source: string, path: NodePath, options: FindingOptions): number {
  const atKey = options.atKey ?? false;
  let node: Node | null = doc.contents;
  let offset = node?.range?.[0] ?? 0;

  for (let i = 0; i < path.length && node !== null; i++) {
    node = resolveAlias(doc, node);
    const segment = path[i];
    const isLast = i === path.length - 1;

    if (isScalar(node)) {
      // The rest of the path is inside a string holding JSON, such as a policy.
      const embedded = embeddedText(source, node);
      const inner = embedded?.valueOffset(path.slice(i), atKey);
      return embedded !== undefined && inner !== undefined ? embedded.fileOffset(inner) : offset;
    }
    if (isMap(node)) {
      const pair = pairOf(node, segment);
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

  if (options.offset !== undefined && node !== null && isScalar(node)) {
    const embedded = embeddedText(source, node);
    if (embedded !== undefined) return embedded.fileOffset(options.offset);
  }
  return offset;
}

function findNode(doc: Document.Parsed, path: NodePath): Node | undefined {
  let node: Node | null = doc.contents;
  for (const segment of path) {
    if (node === null) return undefined;
    node = resolveAlias(doc, node);
    if (isMap(node)) {
      const pair = pairOf(node, segment);
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

/** The pairs of each mapping by the text of their scalar keys, built on the first lookup in the mapping. */
const pairIndexes = new WeakMap<YAMLMap, Map<string, Pair>>();

/**
 * Returns the first pair of `map` whose scalar key reads as `segment`. Lookups go
 * through an index, because a validator may look up every key of a mapping with
 * thousands of keys, and a scan per lookup would take minutes.
 */
function pairOf(map: YAMLMap, segment: string | number | undefined): Pair | undefined {
  let index = pairIndexes.get(map);
  if (index === undefined) {
    index = new Map();
    for (const item of map.items) {
      if (isPair(item) && isScalar(item.key) && !index.has(String(item.key.value))) index.set(String(item.key.value), item);
    }
    pairIndexes.set(map, index);
  }
  return index.get(String(segment));
}

/** Describes an error of converting a parsed document to values: too many aliases, or a nesting too deep to convert. */
function describeConversionError(error: unknown): { code: string; message: string } {
  if (error instanceof ReferenceError) {
    return { code: "yaml-alias-limit", message: `document expands more than ${MAX_ALIAS_COUNT} aliases; write the values out instead of repeating anchors` };
  }
  if (error instanceof RangeError) return { code: "nesting-depth", message: `document ${NESTING_DEPTH_MESSAGE}` };
  return { code: "yaml-syntax", message: `document could not be read: ${error instanceof Error ? error.message : String(error)}` };
}
