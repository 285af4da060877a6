/**
 * The base class of every error that wid raises, or converts from a library's error, for
 * a condition that an operator fixes or waits out rather than a bug. Examples are invalid
 * settings, an unreachable git remote, a work folder locked by another process, and
 * missing or rejected cloud credentials. The message names what failed and what to do,
 * and the subclass carries the ids involved as fields.
 *
 * The logger writes such an error with its message, `kind` and fields but without its
 * stack trace, which only repeats wid's own call path. Any other error is unexpected,
 * which means a bug, and keeps its stack.
 */
export abstract class ExpectedError extends Error {
  /**
   * The area the operator has to check, such as `configuration`, `git`, `locked`, or for
   * a cloud call the kind of failure (`credentials`, `unreachable`, ...).
   */
  abstract readonly kind: string;
}

/** Tests whether `error` is an {@link ExpectedError}, which is logged without its stack trace. */
export function isExpectedError(error: unknown): error is ExpectedError {
  return error instanceof ExpectedError;
}
