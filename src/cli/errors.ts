import { ExpectedError } from "../errors/expected.js";

/** An error the CLI reports as one line, without a stack trace, and exits with `exitCode`. */
export class CliError extends ExpectedError {
  readonly kind = "command";

  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

/** Exit codes shared by the commands. */
export const EXIT = {
  ok: 0,
  failure: 1,
  /** `wid plan`: the plan has changes. */
  changes: 2,
} as const;
