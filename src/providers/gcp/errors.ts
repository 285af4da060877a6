/**
 * Google API errors, converted once where they enter wid. The converted error names the
 * integration, the identity, the resource and the call, and carries Google's status. It
 * never keeps the library's error object as its cause, because that object's request
 * config contains the access token.
 */

import type { CloudErrorKind } from "../types.js";
import { CloudError } from "../types.js";
import { isRecord } from "../../json/record.js";

/** Why a call failed: the shared kinds, and `not-found`, which callers often expect. */
export type GcpFailureKind = CloudErrorKind | "not-found";

/** The facts wid keeps of a failed Google API call. */
export interface GoogleFailure {
  kind: GcpFailureKind;
  /** HTTP status, or null when no response arrived. */
  httpStatus: number | null;
  /** Google's canonical status, such as `ALREADY_EXISTS`, or a network error code such as `ECONNREFUSED`. */
  status: string | null;
  /** Google's message, or the network error's. */
  message: string;
}

/** The place of a failed call: integration, method, resource and identity. */
export interface CallContext {
  integration: string;
  /** The API method, such as `iam.projects.roles.create`. */
  call: string;
  /** The resource name the call acted on. */
  resource: string;
  identity?: string | null;
}

/** A Google Cloud call that failed, with its context. `code` is Google's canonical status. */
export class GcpCallError extends CloudError {
  readonly status: string | null;
  readonly httpStatus: number | null;

  constructor(failure: GoogleFailure, context: CallContext) {
    super(describe(failure, context), {
      kind: failure.kind === "not-found" ? "other" : failure.kind,
      provider: "gcp",
      integration: context.integration,
      identity: context.identity ?? null,
      resource: context.resource,
      call: context.call,
      code: failure.status,
    });
    this.name = "GcpCallError";
    this.status = failure.status;
    this.httpStatus = failure.httpStatus;
  }
}

const KIND_BY_STATUS: Record<string, GcpFailureKind> = {
  UNAUTHENTICATED: "credentials",
  PERMISSION_DENIED: "access-denied",
  NOT_FOUND: "not-found",
  ALREADY_EXISTS: "conflict",
  ABORTED: "conflict",
  INVALID_ARGUMENT: "invalid-request",
  FAILED_PRECONDITION: "invalid-request",
  OUT_OF_RANGE: "invalid-request",
  RESOURCE_EXHAUSTED: "invalid-request",
  UNAVAILABLE: "unreachable",
  DEADLINE_EXCEEDED: "unreachable",
};

/** Canonical status names of the numeric codes in `google.rpc.Status`, as an operation error carries them. */
const STATUS_BY_CODE: Record<number, string> = {
  1: "CANCELLED",
  2: "UNKNOWN",
  3: "INVALID_ARGUMENT",
  4: "DEADLINE_EXCEEDED",
  5: "NOT_FOUND",
  6: "ALREADY_EXISTS",
  7: "PERMISSION_DENIED",
  8: "RESOURCE_EXHAUSTED",
  9: "FAILED_PRECONDITION",
  10: "ABORTED",
  11: "OUT_OF_RANGE",
  12: "UNIMPLEMENTED",
  13: "INTERNAL",
  14: "UNAVAILABLE",
  15: "DATA_LOSS",
  16: "UNAUTHENTICATED",
};

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);

/**
 * Reads a thrown value from the Google API libraries: a GaxiosError with Google's error
 * envelope, a network error, or google-auth-library's "no credentials" error.
 */
export function readGoogleFailure(error: unknown): GoogleFailure {
  const record = isRecord(error) ? error : {};
  const httpStatus = typeof record.status === "number" ? record.status : null;
  const envelope = readEnvelope(record.response);
  if (envelope !== null) {
    const status = envelope.status ?? statusFromHttp(httpStatus);
    return { kind: kindOf(status, httpStatus), httpStatus, status, message: envelope.message };
  }

  const message = error instanceof Error ? error.message : String(error);
  const code = typeof record.code === "string" ? record.code : causeCode(record.cause);
  if (code !== null && NETWORK_CODES.has(code)) return { kind: "unreachable", httpStatus: null, status: code, message };
  // wid passes no abort signal to Google's clients, so an aborted request is one that hit the request time limit.
  if (isAbort(record) || isAbort(record.cause)) return { kind: "unreachable", httpStatus: null, status: "ETIMEDOUT", message: "no response within WID_GCP_REQUEST_TIMEOUT_SECONDS" };
  if (/default credentials|invalid_grant|unable to impersonate|GOOGLE_APPLICATION_CREDENTIALS|does not exist, or it is not a file/i.test(message)) {
    return { kind: "credentials", httpStatus, status: null, message };
  }
  const status = statusFromHttp(httpStatus);
  return { kind: kindOf(status, httpStatus), httpStatus, status, message };
}

/** Reads the failure in a finished operation's `error`, a `google.rpc.Status`. */
export function readOperationFailure(error: { code?: number | null; message?: string | null }): GoogleFailure {
  const status = STATUS_BY_CODE[error.code ?? 2] ?? "UNKNOWN";
  return { kind: kindOf(status, null), httpStatus: null, status, message: error.message ?? "the operation failed without a message" };
}

/** Converts a thrown value into a {@link GcpCallError}; one already converted is returned as is. */
export function toGcpCallError(error: unknown, context: CallContext): GcpCallError {
  if (error instanceof GcpCallError) return error;
  return new GcpCallError(readGoogleFailure(error), context);
}

/** Tests whether a thrown value is a Google error response with this canonical status. */
export function hasStatus(error: unknown, status: string): boolean {
  if (error instanceof GcpCallError) return error.status === status;
  return readGoogleFailure(error).status === status;
}

function describe(failure: GoogleFailure, context: CallContext): string {
  const subject = context.identity == null ? `integration ${context.integration}` : `identity ${context.identity} of integration ${context.integration}`;
  const status = [failure.httpStatus, failure.status].filter((part) => part !== null).join(" ");
  const what = `${context.call} on ${context.resource} failed for ${subject}${status === "" ? "" : ` with ${status}`}: ${failure.message.trim().replace(/\.+$/, "")}`;
  const hint = HINTS[failure.kind];
  return hint === "" ? what : `${what}. ${hint}`;
}

const HINTS: Record<GcpFailureKind, string> = {
  credentials:
    "Check Application Default Credentials: set GOOGLE_APPLICATION_CREDENTIALS to a credential file, run `gcloud auth application-default login`, or run on Google Cloud with a service account",
  "wrong-account": "Correct projectId or projectNumber in the integration file",
  unreachable: "Check the network, and WID_GCP_IAM_ENDPOINT and WID_GCP_CRM_ENDPOINT when they are set; the next run retries",
  "access-denied": "Grant the caller the IAM permission named in the message on the integration's project",
  "invalid-request": "",
  conflict: "The next run reads the current state and retries",
  "not-found": "",
  other: "",
};

function readEnvelope(response: unknown): { status: string | null; message: string } | null {
  if (!isRecord(response) || !isRecord(response.data) || !isRecord(response.data.error)) return null;
  const body = response.data.error;
  const message = typeof body.message === "string" ? body.message : "no message";
  return { status: typeof body.status === "string" ? body.status : null, message };
}

function statusFromHttp(httpStatus: number | null): string | null {
  switch (httpStatus) {
    case 400:
      return "INVALID_ARGUMENT";
    case 401:
      return "UNAUTHENTICATED";
    case 403:
      return "PERMISSION_DENIED";
    case 404:
      return "NOT_FOUND";
    case 409:
      return "ABORTED";
    case 429:
      return "RESOURCE_EXHAUSTED";
    case 503:
      return "UNAVAILABLE";
    case 504:
      return "DEADLINE_EXCEEDED";
    default:
      return null;
  }
}

function kindOf(status: string | null, httpStatus: number | null): GcpFailureKind {
  const known = status === null ? undefined : KIND_BY_STATUS[status];
  if (known !== undefined) return known;
  if (httpStatus !== null && httpStatus >= 500) return "unreachable";
  return "other";
}

function isAbort(value: unknown): boolean {
  return isRecord(value) && value.name === "AbortError";
}

function causeCode(cause: unknown): string | null {
  return isRecord(cause) && typeof cause.code === "string" ? cause.code : null;
}
