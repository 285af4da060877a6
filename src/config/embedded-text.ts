import { isMap, isPair, isScalar, isSeq, parseDocument } from "yaml";
import type { Document, Node, Scalar } from "yaml";

import type { NodePath } from "./diagnostics.js";

/**
 * A string scalar whose value is itself a document, such as an IAM policy written as
 * JSON in a block scalar. It maps positions inside the value back to the file, so that
 * a finding deep inside the JSON points at its own line.
 */
export interface EmbeddedText {
  /** Returns the file offset of a character offset within the value. */
  fileOffset(valueOffset: number): number;
  /** Returns the value offset of the node at `path` inside the embedded document, or undefined. */
  valueOffset(path: NodePath, atKey: boolean): number | undefined;
}

const cache = new WeakMap<Scalar, EmbeddedText | null>();

/**
 * Returns the mapping of a string scalar's value back to the file, or undefined when the
 * value is not a verbatim copy of the source: a literal block scalar (`|`) whose lines
 * are the source lines minus one indentation, or a one-line scalar without escapes.
 * Folded scalars and quoted scalars with escapes are not mapped; findings inside them
 * point at the scalar itself.
 */
export function embeddedText(source: string, node: Scalar): EmbeddedText | undefined {
  const cached = cache.get(node);
  if (cached !== undefined) return cached ?? undefined;
  const mapping = typeof node.value === "string" ? mapValue(source, node, node.value) : undefined;
  cache.set(node, mapping ?? null);
  return mapping;
}

function mapValue(source: string, node: Scalar, value: string): EmbeddedText | undefined {
  const fileOffset = node.type === "BLOCK_LITERAL" ? blockLiteralOffsets(source, node, value) : inlineOffsets(source, node, value);
  if (fileOffset === undefined) return undefined;

  let inner: Document.Parsed | undefined;
  return {
    fileOffset,
    valueOffset(path, atKey) {
      // JSON is a subset of YAML's flow style, so the yaml parser gives the offsets.
      inner ??= parseDocument(value, { uniqueKeys: false, merge: false });
      return locateInner(inner.contents, path, atKey);
    },
  };
}

function blockLiteralOffsets(source: string, node: Scalar, value: string): ((offset: number) => number) | undefined {
  const [start, end] = node.range ?? [];
  if (start === undefined || end === undefined) return undefined;
  const headerEnd = source.indexOf("\n", start);
  if (headerEnd === -1 || headerEnd >= end) return undefined;

  // Start offset of each source line of the block body.
  const lineStarts: number[] = [];
  let lineStart = headerEnd + 1;
  while (lineStart < end) {
    lineStarts.push(lineStart);
    const lineEnd = source.indexOf("\n", lineStart);
    if (lineEnd === -1) break;
    lineStart = lineEnd + 1;
  }

  const valueLines = value.split("\n");
  const firstContent = valueLines.findIndex((line) => line !== "");
  const firstStart = lineStarts[firstContent];
  if (firstContent === -1 || firstStart === undefined) return undefined;
  const indent = sourceLine(source, firstStart).length - (valueLines[firstContent] ?? "").length;
  if (indent < 0) return undefined;

  // Every line with content must be its source line minus the same indentation.
  for (let i = 0; i < valueLines.length; i++) {
    const line = valueLines[i] ?? "";
    if (line === "") continue;
    const lineStart = lineStarts[i];
    if (lineStart === undefined || sourceLine(source, lineStart) !== " ".repeat(indent) + line) return undefined;
  }

  const valueLineStarts = lineOffsets(value);
  return (offset) => {
    const line = lastIndexAtMost(valueLineStarts, offset);
    const lineStart = lineStarts[line] ?? start;
    const lineLength = sourceLine(source, lineStart).length;
    return Math.min(lineStart + indent + (offset - (valueLineStarts[line] ?? 0)), lineStart + lineLength);
  };
}

function inlineOffsets(source: string, node: Scalar, value: string): ((offset: number) => number) | undefined {
  const [start, end] = node.range ?? [];
  if (start === undefined || end === undefined || value.includes("\n")) return undefined;
  const quoted = node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE";
  const valueStart = quoted ? start + 1 : start;
  if (source.slice(valueStart, valueStart + value.length) !== value) return undefined;
  return (offset) => valueStart + offset;
}

function locateInner(root: Node | null, path: NodePath, atKey: boolean): number | undefined {
  let node: Node | null = root;
  let offset = node?.range?.[0];
  for (let i = 0; i < path.length && node !== null; i++) {
    const segment = path[i];
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
      if (pair === undefined) break;
      const key = pair.key as Node | null;
      if (i === path.length - 1 && atKey && key?.range != null) return key.range[0];
      node = (pair.value as Node | null) ?? key;
    } else if (isSeq(node) && typeof segment === "number") {
      node = (node.items[segment] as Node | undefined) ?? null;
    } else {
      break;
    }
    if (node?.range != null) offset = node.range[0];
  }
  return offset;
}

/** The text of the source line starting at `offset`, without its line break. */
function sourceLine(source: string, offset: number): string {
  const end = source.indexOf("\n", offset);
  const line = source.slice(offset, end === -1 ? source.length : end);
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

function lineOffsets(text: string): number[] {
  const offsets = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") offsets.push(i + 1);
  return offsets;
}

function lastIndexAtMost(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if ((sorted[middle] ?? 0) <= value) low = middle;
    else high = middle - 1;
  }
  return low;
}
