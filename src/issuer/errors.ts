import { ExpectedError } from "../errors/expected.js";

/**
 * An error of the issuer or of credential delivery that the user can fix: a missing or
 * invalid key file, an unknown identity, a token that fails verification. Its message
 * is one sentence that names the file or value and what to do, and never contains a
 * private key or a token. The CLI prints it as one line.
 */
export class IssuerError extends ExpectedError {
  readonly kind = "issuer";

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "IssuerError";
  }
}
