import { isMap, isSeq, Scalar, visit } from "yaml";
import type { Document, YAMLError } from "yaml";

import { quote } from "./quote.js";

/** A syntax error of one document: its position, and a message that names the fix. */
export interface SyntaxFinding {
  /** Offset in the file to report: the opening bracket of an unclosed flow collection, else where the parser stopped. */
  offset: number;
  message: string;
}

export const DUPLICATE_KEY_MESSAGE = "duplicate key: a key may appear only once in a mapping; remove or rename one of them";

/**
 * Describes the first syntax error of a document. Only the first is worth reporting:
 * the parser recovers by guessing, so the errors after it are usually consequences of
 * the first one, such as every line after an unclosed `[`.
 */
export function describeSyntaxError(doc: Document.Parsed, error: YAMLError): SyntaxFinding {
  const offset = error.pos[0];
  const firstLine = error.message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "") ?? error.message;
  switch (error.code) {
    case "DUPLICATE_KEY":
      return { offset, message: DUPLICATE_KEY_MESSAGE };
    case "TAB_AS_INDENT":
      return { offset, message: "tab used for indentation: YAML indents with spaces only; replace the tabs at the start of this line with spaces" };
    case "BAD_INDENT":
      return describeBadIndent(doc, offset, firstLine);
    case "MISSING_CHAR":
      return describeMissingCharacter(doc, offset, firstLine);
    case "BLOCK_AS_IMPLICIT_KEY":
      return { offset, message: "a value on the same line as its key cannot start another mapping (\"a: b: c\"); quote the value, or put the nested keys on their own, more indented lines" };
    case "MULTILINE_IMPLICIT_KEY":
      return { offset, message: "this line is not \"key: value\": add \": \" after the key, or indent the line to continue the value above it" };
    case "BAD_SCALAR_START":
      return { offset, message: `${firstLine.replace(/^Plain value/, "an unquoted value")}; put the value in quotes` };
    default:
      return { offset, message: `invalid YAML: ${quote(firstLine, { json: false })}; check the indentation and quoting on this line and the line above` };
  }
}

/**
 * Describes an indentation error. The yaml package reports an unclosed `[` or `{` as an
 * indentation error where the next line starts, so it is reported at the bracket.
 */
function describeBadIndent(doc: Document.Parsed, offset: number, firstLine: string): SyntaxFinding {
  const flow = firstLine.startsWith("Flow sequence") ? "sequence" : firstLine.startsWith("Flow map") ? "map" : undefined;
  if (flow === undefined) {
    return { offset, message: "keys of one mapping must start at the same column; indent this line like the keys above it, with spaces" };
  }

  const [open, close] = flow === "sequence" ? ["[", "]"] : ["{", "}"];
  const start = unclosedFlowStart(doc, offset, flow);
  if (start === undefined) {
    return { offset, message: `unclosed flow ${flow}: close it with ${close}, or indent its continuation lines further than its key` };
  }
  return {
    offset: start,
    message: `unclosed flow ${flow}: this ${open} has no matching ${close}; close it with ${close}, or indent its continuation lines further than its key`,
  };
}

/** Finds the innermost flow collection of the given kind that ends where the parser reported the error. */
function unclosedFlowStart(doc: Document.Parsed, offset: number, flow: "sequence" | "map"): number | undefined {
  let start: number | undefined;
  visit(doc, {
    Collection(_, node) {
      const matches = flow === "sequence" ? isSeq(node) : isMap(node);
      if (!matches || node.flow !== true || node.range === undefined || node.range === null) return;
      const [begin, valueEnd, nodeEnd] = node.range;
      if (begin > offset || (valueEnd !== offset && nodeEnd !== offset)) return;
      if (start === undefined || begin > start) start = begin;
    },
  });
  return start;
}

/**
 * Describes a missing character. The yaml package reports an unclosed quote where the
 * file ends, so it is reported at the opening quote.
 */
function describeMissingCharacter(doc: Document.Parsed, offset: number, firstLine: string): SyntaxFinding {
  if (firstLine.startsWith('Missing closing "quote')) {
    return { offset: unclosedQuoteStart(doc, offset, Scalar.QUOTE_DOUBLE) ?? offset, message: 'unclosed double-quoted string: this " has no closing "; add it at the end of the value' };
  }
  if (firstLine.startsWith("Missing closing 'quote")) {
    return { offset: unclosedQuoteStart(doc, offset, Scalar.QUOTE_SINGLE) ?? offset, message: "unclosed single-quoted string: this ' has no closing '; add it at the end of the value" };
  }
  if (firstLine.startsWith("Implicit map keys need to be followed by map values")) {
    return { offset, message: 'a key without a value: add ": " and a value after the key, or remove the line' };
  }
  return { offset, message: `invalid YAML: ${quote(firstLine, { json: false })}; check the quoting on this line` };
}

/** Finds the quoted scalar of the given type that ends where the parser reported the error. */
function unclosedQuoteStart(doc: Document.Parsed, offset: number, type: Scalar.Type): number | undefined {
  let start: number | undefined;
  visit(doc, {
    Scalar(_, node) {
      if (node.type !== type || node.range === undefined || node.range === null) return;
      const [begin, valueEnd, nodeEnd] = node.range;
      if (begin <= offset && (valueEnd === offset || nodeEnd === offset)) start = begin;
    },
  });
  return start;
}
