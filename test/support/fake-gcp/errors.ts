/** Google's JSON error envelope and the canonical status codes the fake returns. */

/** Canonical gRPC status names with the HTTP status Google maps each one to. */
export const HTTP_STATUS = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  ABORTED: 409,
  RESOURCE_EXHAUSTED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
} as const;

export type GoogleStatus = keyof typeof HTTP_STATUS;

/** The numeric gRPC codes, used in `Operation.error.code`. */
const GRPC_CODE: Record<GoogleStatus, number> = {
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
};

/** An error that the fake turns into `{ error: { code, message, status, details } }`. */
export class GoogleApiError extends Error {
  constructor(
    readonly status: GoogleStatus,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.status];
  }

  /** Builds the REST error envelope, with an ErrorInfo detail when a reason is known. */
  envelope(domain: string): Record<string, unknown> {
    const details =
      this.reason === undefined ? [] : [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: this.reason, domain, metadata: {} }];
    return { error: { code: this.httpStatus, message: this.message, status: this.status, details } };
  }

  /** Builds the `google.rpc.Status` form that a failed long-running operation carries. */
  rpcStatus(): Record<string, unknown> {
    return { code: GRPC_CODE[this.status], message: this.message, details: [] };
  }
}

export function notFound(name: string): GoogleApiError {
  return new GoogleApiError("NOT_FOUND", `Requested entity was not found: ${name}`);
}

export function invalid(message: string): GoogleApiError {
  return new GoogleApiError("INVALID_ARGUMENT", message);
}
