/**
 * Returns the `code` of a Node.js system error, such as `ENOENT` or `EPERM`, or
 * undefined when `error` is not an Error with a string code. Checks the value instead of
 * casting it, because anything can be thrown.
 */
export function systemErrorCode(error: unknown): string | undefined {
  if (!(error instanceof Error) || !("code" in error)) return undefined;
  return typeof error.code === "string" ? error.code : undefined;
}
