/**
 * The base class of every error that wid raises, or converts from a library's error, for
 * a condition that an operator fixes or waits out rather than a bug: invalid settings,
 * a git remote that cannot be reached, a work folder locked by another process, cloud
 * credentials that are missing or rejected, an endpoint that cannot be reached. The
 * message says what failed and what to do, and the subclass carries the ids involved as
 * fields.
 *
 * The logger writes such an error with its message, `kind` and fields but without its
 * stack trace, which only repeats wid's own call path. Any other error is unexpected,
 * which means a bug, and keeps its stack.
 */
export abstract class ExpectedError extends Error {
  /**
   * What the operator has to look at, such as `configuration`, `git`, `locked`, or for a
   * cloud call the kind of failure (`credentials`, `unreachable`, ...).
   */
  abstract readonly kind: string;
}

/** Whether `error` is an {@link ExpectedError}, which is logged without its stack trace. */
export function isExpectedError(error: unknown): error is ExpectedError {
  return error instanceof ExpectedError;
}
