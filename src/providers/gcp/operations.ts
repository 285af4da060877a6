import type { iam_v1 } from "@googleapis/iam";

import type { CallContext } from "./errors.js";
import { GcpCallError, readOperationFailure, toGcpCallError } from "./errors.js";

/** How long to wait for one operation, and how often to poll it. */
export interface OperationWait {
  /** Give up after this many milliseconds. */
  timeoutMs: number;
  /** First poll delay; each next one is 1.5 times longer, up to `maxPollMs`. Default 100. */
  initialPollMs?: number;
  /** Default 5,000. */
  maxPollMs?: number;
}

/**
 * Polls a workload identity pool or provider operation until it is done, and returns its
 * `response`. A failed operation, a poll that fails, or a timeout throws a
 * {@link GcpCallError} with `context`. A timeout leaves the operation running in Google
 * Cloud; the next run observes its result.
 */
export async function waitForOperation(
  iam: iam_v1.Iam,
  started: iam_v1.Schema$Operation,
  wait: OperationWait,
  context: CallContext,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + wait.timeoutMs;
  let delay = wait.initialPollMs ?? 100;
  let operation = started;

  while (operation.done !== true) {
    const name = operation.name;
    if (name == null || name === "") {
      throw new GcpCallError({ kind: "other", httpStatus: null, status: null, message: "the API returned an unfinished operation without a name" }, context);
    }
    if (Date.now() + delay > deadline) {
      throw new GcpCallError(
        {
          kind: "unreachable",
          httpStatus: null,
          status: "DEADLINE_EXCEEDED",
          message: `operation ${name} did not finish within ${seconds(wait.timeoutMs)} s; it may still complete, and the next run picks up its result (raise WID_GCP_OPERATION_TIMEOUT_SECONDS to wait longer)`,
        },
        context,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 1.5, wait.maxPollMs ?? 5000);
    operation = await getOperation(iam, name, context);
  }

  if (operation.error != null) throw new GcpCallError(readOperationFailure(operation.error), context);
  return operation.response ?? {};
}

function seconds(ms: number): string {
  return ms < 10_000 ? (ms / 1000).toFixed(1) : String(Math.round(ms / 1000));
}

/** Reads an operation through the operations collection of the pool or of the provider that owns it. */
async function getOperation(iam: iam_v1.Iam, name: string, context: CallContext): Promise<iam_v1.Schema$Operation> {
  const pools = iam.projects.locations.workloadIdentityPools;
  try {
    const response = name.includes("/providers/") ? await pools.providers.operations.get({ name }) : await pools.operations.get({ name });
    return response.data;
  } catch (error) {
    throw toGcpCallError(error, { ...context, call: `${context.call} (polling ${name})` });
  }
}
