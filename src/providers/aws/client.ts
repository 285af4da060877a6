import { IAMClient } from "@aws-sdk/client-iam";
import { STSClient } from "@aws-sdk/client-sts";
import { AdaptiveRetryStrategy } from "@smithy/core/retry";

import { awsErrorCode } from "./errors.js";

/** The SDK clients one AWS adapter uses. */
export interface AwsClients {
  iam: IAMClient;
  sts: STSClient;
}

/**
 * Attempts per call, including the first. The adaptive retry mode backs off on
 * throttling and slows the client's own send rate, so a large apply slows down
 * instead of failing. A reconciler that runs unattended can afford the wait.
 */
export const MAX_ATTEMPTS = 8;

/**
 * The SDK's adaptive retry strategy, except that IAM's `LimitExceeded` ends the retries
 * at once. The SDK counts that code as throttling, but IAM returns it for a quota, such
 * as roles per account or the size of a role's inline policies, which no retry fixes.
 * Retried, each such call took about 35 seconds over {@link MAX_ATTEMPTS} attempts
 * (measured against a local emulator) and slowed the client's other calls.
 */
class IamRetryStrategy extends AdaptiveRetryStrategy {
  override async refreshRetryTokenForRetry(...args: Parameters<AdaptiveRetryStrategy["refreshRetryTokenForRetry"]>): ReturnType<AdaptiveRetryStrategy["refreshRetryTokenForRetry"]> {
    const [, errorInfo] = args;
    if (awsErrorCode(errorInfo.error) === "LimitExceeded") throw errorInfo.error;
    return super.refreshRetryTokenForRetry(...args);
  }
}

/**
 * Builds IAM and STS clients from the SDK's standard chain only: endpoint from
 * AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_IAM and AWS_ENDPOINT_URL_STS), region and
 * credentials from the environment, shared config profiles, a web identity token, or
 * container and instance metadata. Nothing comes from the config repository, so the
 * same binary runs against an emulator in tests and against AWS in production.
 * Constructing the clients makes no call.
 */
export function createAwsClients(): AwsClients {
  // NOTE: wid pins its SDK and runs on Node 20, so users cannot act on the SDK's warning
  // that future SDK releases need Node 22. It is silenced unless the variable is set.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const options = {
    maxAttempts: MAX_ATTEMPTS,
    // Fail fast on an unreachable endpoint instead of hanging the run.
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
  } as const;
  return {
    iam: new IAMClient({ ...options, retryStrategy: new IamRetryStrategy(MAX_ATTEMPTS) }),
    sts: new STSClient({ ...options, retryMode: "adaptive" }),
  };
}
