import type { CloudErrorKind } from "../types.js";
import { CloudError } from "../types.js";

/** The call, integration, identity and resource of a failed AWS call, for its error message. */
export interface AwsCallContext {
  integration: string;
  /** The API call, such as `iam:CreateRole`. */
  call: string;
  identity?: string | null;
  resource?: string | null;
}

const CREDENTIAL_CODES = new Set([
  "InvalidClientTokenId",
  "UnrecognizedClientException",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "ExpiredTokenException",
  "InvalidAccessKeyId",
  "AuthFailure",
  "IncompleteSignature",
]);
const DENIED_CODES = new Set(["AccessDenied", "AccessDeniedException", "UnauthorizedOperation"]);
const INVALID_CODES = new Set(["MalformedPolicyDocument", "LimitExceeded", "InvalidInput", "ValidationError", "PolicyNotAttachable", "UnmodifiableEntity"]);
const CONFLICT_CODES = new Set(["EntityAlreadyExists", "ConcurrentModification", "DeleteConflict", "NoSuchEntity"]);
const NETWORK_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "EAI_AGAIN", "EPIPE"]);

/**
 * Returns the error code of an SDK or network error: the service's own code (`NoSuchEntity`,
 * from the query protocol's `Code`), or Node's network `code`. The SDK's class names
 * add `Exception` to some codes, which is removed when no `Code` is present.
 */
export function awsErrorCode(error: unknown): string {
  if (typeof error !== "object" || error === null) return "Unknown";
  if ("Code" in error && typeof error.Code === "string" && error.Code !== "") return error.Code;
  if ("code" in error && typeof error.code === "string" && NETWORK_CODES.has(error.code)) return error.code;
  if ("name" in error && typeof error.name === "string") return error.name === "Error" ? "Error" : error.name.replace(/Exception$/, "");
  return "Unknown";
}

/** Tells whether IAM rejected a trust policy because it does not know the OIDC provider yet. */
export function isInvalidPrincipal(error: unknown): boolean {
  return awsErrorCode(error) === "MalformedPolicyDocument" && /invalid principal/i.test(errorMessage(error));
}

/**
 * Converts an SDK or network error into a {@link CloudError} whose message names the
 * call, the resource and the identity, gives AWS's code and message, and states what
 * to do. Called once, where the SDK is called.
 */
export function convertAwsError(error: unknown, context: AwsCallContext): CloudError {
  if (error instanceof CloudError) return error;
  const code = awsErrorCode(error);
  const text = errorMessage(error);
  const [kind, hint] = classify(code, text, context);

  const target = context.resource == null ? "" : ` on ${context.resource}`;
  const owner = context.identity == null ? ` (integration ${context.integration})` : ` (integration ${context.integration}, identity ${context.identity})`;
  const message = `${context.call}${target}${owner} failed: ${code}: ${text}${hint === "" ? "" : `; ${hint}`}`;
  return new CloudError(message, { kind, provider: "aws", integration: context.integration, identity: context.identity ?? null, resource: context.resource ?? null, call: context.call, code }, error);
}

function classify(code: string, text: string, context: AwsCallContext): [CloudErrorKind, string] {
  if (code === "CredentialsProviderError" || /could not load credentials/i.test(text)) {
    return ["credentials", "no AWS credentials were found by the SDK's default chain (environment variables, shared config profile, web identity token, container or instance metadata); configure credentials for the integration's account"];
  }
  if (/region is missing/i.test(text)) {
    return ["credentials", "no AWS region is configured; set AWS_REGION or a profile region (IAM is global, so any region of the partition works, such as us-east-1)"];
  }
  if (CREDENTIAL_CODES.has(code)) return ["credentials", "the AWS credentials were rejected; refresh or replace them"];
  if (NETWORK_CODES.has(code) || code === "TimeoutError" || code === "RequestTimeout" || code === "RequestTimeoutException") {
    return ["unreachable", "AWS could not be reached; check AWS_ENDPOINT_URL, the network and any proxy settings"];
  }
  if (DENIED_CODES.has(code)) return ["access-denied", `grant ${context.call} to the caller`];
  if (INVALID_CODES.has(code)) return ["invalid-request", "IAM rejects the request as written; fix the file named in the plan"];
  if (CONFLICT_CODES.has(code)) return ["conflict", "the account changed since wid read it; the next run converges"];
  if (code === "Throttling" || code === "ThrottlingException") return ["other", "IAM kept throttling after every retry; the next run converges"];
  return ["other", ""];
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message.split("\n")[0] ?? "";
  return String(error);
}
