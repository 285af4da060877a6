import { ExpectedError } from "../errors/expected.js";
import { stripUrlCredentials } from "./url.js";

/** Maximum length of git's output kept in an error message. */
const MAX_DETAIL_LENGTH = 600;

/** A git command that failed, with git's own message trimmed and stripped of URL credentials. */
export class GitOperationError extends ExpectedError {
  readonly kind = "git";

  /** The step that failed, such as `fetch` or `push`. */
  readonly operation: string;

  constructor(operation: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "GitOperationError";
    this.operation = operation;
  }
}

/**
 * Runs one git step and converts its failure into a {@link GitOperationError} that names
 * the step. When `signal` is aborted, its reason is thrown instead, so callers can tell
 * a stop from a failure.
 */
export async function gitStep<T>(operation: string, signal: AbortSignal | undefined, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (signal?.aborted === true) throw signal.reason;
    if (error instanceof GitOperationError) throw error;
    throw new GitOperationError(operation, `git ${operation} failed: ${gitDetail(error)}`);
  }
}

/** Returns the useful part of a git failure: its message, without hints, credentials or long traces. */
export function gitDetail(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("hint:"));
  const detail = stripUrlCredentials(lines.join("; "));
  return detail.length > MAX_DETAIL_LENGTH ? `${detail.slice(0, MAX_DETAIL_LENGTH)}...` : detail;
}
