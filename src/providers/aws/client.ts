import { IAMClient } from "@aws-sdk/client-iam";
import { STSClient } from "@aws-sdk/client-sts";

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
    retryMode: "adaptive",
    maxAttempts: MAX_ATTEMPTS,
    // Fail fast on an unreachable endpoint instead of hanging the run.
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
  } as const;
  return { iam: new IAMClient(options), sts: new STSClient(options) };
}
