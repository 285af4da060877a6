import type { ResourceChange } from "../plan/types.js";
import type { CloudErrorKind, OutcomeKind, ResourceOutcome } from "./types.js";

/** The outcome of a change whose write succeeded, by the change's action. */
export const DONE: Readonly<Record<ResourceChange["action"], OutcomeKind>> = { create: "created", update: "updated", delete: "deleted" };

/** Returns the fields of an outcome that identify the change: resource, type, provider, integration, identity and action. */
export function base(change: ResourceChange): Omit<ResourceOutcome, "outcome"> {
  return { resource: change.resource, type: change.type, provider: change.provider, integration: change.integration, identity: change.identity, action: change.action };
}

/** Returns the outcome of a change that failed with `message`, and with the cloud error's kind when it is known. */
export function failed(change: ResourceChange, message: string, errorKind?: CloudErrorKind): ResourceOutcome {
  return { ...base(change), outcome: "failed", message, ...(errorKind !== undefined ? { errorKind } : {}) };
}
