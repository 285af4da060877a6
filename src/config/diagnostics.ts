/**
 * Diagnostics: the findings of loading and validating a config repository.
 *
 * A diagnostic always points at a file, line and column so that editors, terminals and
 * GitHub annotations can show it on the offending node. Codes are stable identifiers that
 * scripts may match on; messages are for people and may change between releases.
 */

import { quote } from "./quote.js";
import { compareBytes } from "../text/order.js";

export type Severity = "error" | "warning";

export interface Diagnostic {
  /** Path of the file relative to the config root, with `/` separators. */
  file: string;
  /** 1-based line of the offending node. */
  line: number;
  /** 1-based column of the offending node. */
  column: number;
  severity: Severity;
  /** Stable kebab-case identifier, for example `aws-unknown-action`. */
  code: string;
  /** What is wrong and what to do, starting with the field when there is one. */
  message: string;
  /** Dotted path of the field inside its document, for example `spec.aws.accountId`. */
  field?: string;
}

/** Path of a node inside a YAML document: map keys and sequence indexes. */
export type NodePath = readonly (string | number)[];

/**
 * A finding of a validator that does not know about files or positions. The loader
 * turns it into a {@link Diagnostic} by locating `path` in the document's syntax tree.
 */
export interface PathFinding {
  path: NodePath;
  severity: Severity;
  code: string;
  message: string;
  /** Point at the key of the last path segment instead of its value. */
  atKey?: boolean;
  /**
   * Character offset inside the string value at `path`, for a finding inside embedded
   * text such as a JSON policy. Used when the value maps back to the file; ignored otherwise.
   */
  offset?: number;
}

/** Where a finding points besides its path. */
export interface FindingOptions {
  atKey?: boolean;
  offset?: number;
}

/** Collects the findings of one validator run against one document. */
export class FindingSink {
  readonly findings: PathFinding[] = [];

  error(path: NodePath, code: string, message: string, options: FindingOptions = {}): void {
    this.findings.push({ path, severity: "error", code, message, ...options });
  }

  warning(path: NodePath, code: string, message: string, options: FindingOptions = {}): void {
    this.findings.push({ path, severity: "warning", code, message, ...options });
  }

  get hasErrors(): boolean {
    return this.findings.some((finding) => finding.severity === "error");
  }
}

/**
 * Formats a node path the way users write it, for example `spec.aws.policy.Statement[0].Effect`.
 * A long key is cut like every value that a message repeats (see {@link quote}).
 */
export function formatPath(path: NodePath): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") {
      text += `[${segment}]`;
    } else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) {
      const name = quote(segment, { json: false });
      text += text === "" ? name : `.${name}`;
    } else {
      text += `[${quote(segment)}]`;
    }
  }
  return text;
}

/** Orders diagnostics by file, line and column so that output is stable. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  if (a.file !== b.file) return compareBytes(a.file, b.file);
  if (a.line !== b.line) return a.line - b.line;
  if (a.column !== b.column) return a.column - b.column;
  if (a.code !== b.code) return compareBytes(a.code, b.code);
  return 0;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((diagnostic) => diagnostic.severity === "error");
}
