import path from "node:path";

import type { Diagnostic } from "../../config/diagnostics.js";

export type DiagnosticFormat = "text" | "json" | "github";

/** `file:line:col: severity: message [code]`, the form compilers use and editors link. */
export function formatDiagnosticText(diagnostic: Diagnostic, displayPath: (file: string) => string): string {
  return `${displayPath(diagnostic.file)}:${diagnostic.line}:${diagnostic.column}: ${diagnostic.severity}: ${diagnostic.message} [${diagnostic.code}]`;
}

/**
 * A GitHub Actions workflow command (`::error file=F,line=L,col=C,title=T::message`),
 * which shows the message on its line in a pull request.
 */
export function formatDiagnosticGithub(diagnostic: Diagnostic, displayPath: (file: string) => string): string {
  const properties = [
    `file=${escapeProperty(displayPath(diagnostic.file))}`,
    `line=${diagnostic.line}`,
    `col=${diagnostic.column}`,
    `title=${escapeProperty(`wid ${diagnostic.code}`)}`,
  ].join(",");
  return `::${diagnostic.severity} ${properties}::${escapeData(diagnostic.message)}`;
}

/** The `wid validate --format json` contract. */
export function diagnosticsJson(diagnostics: readonly Diagnostic[], displayPath: (file: string) => string): { valid: boolean; diagnostics: unknown[] } {
  return {
    valid: !diagnostics.some((diagnostic) => diagnostic.severity === "error"),
    diagnostics: diagnostics.map((diagnostic) => ({
      file: displayPath(diagnostic.file),
      line: diagnostic.line,
      column: diagnostic.column,
      severity: diagnostic.severity,
      code: diagnostic.code,
      message: diagnostic.message,
      ...(diagnostic.field !== undefined ? { field: diagnostic.field } : {}),
    })),
  };
}

/**
 * Returns a function that shows config-relative paths relative to the working
 * directory, so that `wid validate examples/config-repo` prints clickable paths and
 * GitHub annotations land on files relative to the repository root.
 */
export function displayPathFrom(root: string): (file: string) => string {
  const prefix = path.relative(process.cwd(), root);
  return (file) => (prefix === "" || prefix.startsWith("..") ? file : path.posix.join(prefix.split(path.sep).join("/"), file));
}

function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}
