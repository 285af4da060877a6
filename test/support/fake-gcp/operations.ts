/**
 * Long-running operations. A write returns `{ name, done: false }` and takes effect only
 * when the operation completes, after the project's delay; `operations.get` reports
 * `done: true` with the resource or with the error.
 */

import { GoogleApiError } from "./errors.js";

const METADATA_TYPE = "type.googleapis.com/google.iam.v1.WorkloadIdentityPoolOperationMetadata";

/** What an operation does when it completes, and how it releases the resource when it fails. */
export interface OperationEffect {
  /** Applies the write and returns the `response`, or throws a GoogleApiError. */
  complete: () => Record<string, unknown>;
  /** Undoes the reservation the request made, after an injected or thrown failure. */
  abandon: () => void;
}

interface Operation {
  name: string;
  readyAt: number;
  effect: OperationEffect;
  done: boolean;
  response?: Record<string, unknown>;
  error?: GoogleApiError;
}

export class OperationStore {
  private readonly operations = new Map<string, Operation>();
  private readonly failures: GoogleApiError[] = [];
  private sequence = 0;

  /** Makes the next operation that completes fail with this error instead of writing. */
  failNext(error: GoogleApiError): void {
    this.failures.push(error);
  }

  /** Starts an operation on a resource and returns its first, unfinished, state. */
  start(resourceName: string, delayMs: number, effect: OperationEffect): Record<string, unknown> {
    this.sequence += 1;
    const name = `${resourceName}/operations/op-${this.sequence.toString().padStart(6, "0")}`;
    this.operations.set(name, { name, readyAt: Date.now() + delayMs, effect, done: false });
    return { name, metadata: { "@type": METADATA_TYPE }, done: false };
  }

  /** Completes every operation whose delay has passed, oldest first. */
  settle(): void {
    const due = [...this.operations.values()].filter((operation) => !operation.done && operation.readyAt <= Date.now());
    due.sort((a, b) => a.readyAt - b.readyAt);
    for (const operation of due) {
      operation.done = true;
      const injected = this.failures.shift();
      if (injected !== undefined) {
        operation.error = injected;
        operation.effect.abandon();
        continue;
      }
      try {
        operation.response = operation.effect.complete();
      } catch (error) {
        if (!(error instanceof GoogleApiError)) throw error;
        operation.error = error;
        operation.effect.abandon();
      }
    }
  }

  /** The operation's current state, as `operations.get` returns it. */
  get(name: string): Record<string, unknown> | undefined {
    const operation = this.operations.get(name);
    if (operation === undefined) return undefined;
    const state: Record<string, unknown> = { name, metadata: { "@type": METADATA_TYPE }, done: operation.done };
    if (operation.error !== undefined) state.error = operation.error.rpcStatus();
    if (operation.response !== undefined) state.response = operation.response;
    return state;
  }

  /** The number of operations that have not completed yet. */
  pending(): number {
    return [...this.operations.values()].filter((operation) => !operation.done).length;
  }
}
