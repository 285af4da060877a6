/**
 * Install semantics shared by the online and the offline planner: invalid identities,
 * what happens to removed identities, and the workload mapping.
 */

import type { ConfigModel, InvalidIdentity, WorkloadIdentity } from "../config/model.js";
import { invalidIdentityCause } from "../config/model.js";
import { resolveSelections } from "../scope/resolve.js";
import { buildWorkloadMapping } from "../status/mapping.js";
import type { IdentityState, StatusFile, WorkloadStatus } from "../status/types.js";
import { frozenSelections, keepFrozenEntries } from "./frozen.js";
import type { IdentityNote, IdentityPlanState } from "./types.js";

/**
 * Whether the resources of removed identities may be deleted now: only with
 * `prune: true`, never while the config has an error (a file with errors may hide an
 * identity that is still wanted, and a file that cannot be read may define one), and
 * never while the settings suspend applying.
 */
export interface RemovalPolicy {
  deleteAllowed: boolean;
  /** Why deletes are not allowed, as a clause such as "prune is off"; empty when they are. */
  blocker: string;
}

/** Files named in a blocker before the rest are counted, so that the message stays short. */
const LISTED_FILES = 3;

export function removalPolicy(model: ConfigModel): RemovalPolicy {
  if (model.unreadableFiles.length > 0) {
    return { deleteAllowed: false, blocker: `deletes are suspended while ${listFiles(model.unreadableFiles)} cannot be read` };
  }
  if (model.filesWithErrors.length > 0) {
    return { deleteAllowed: false, blocker: `deletes are suspended while the config has errors (in ${listFiles(model.filesWithErrors)}); fix them to allow deletes` };
  }
  if (model.settings?.prune !== true) return { deleteAllowed: false, blocker: "prune is off" };
  if (model.settings.suspend) return { deleteAllowed: false, blocker: "prune is on, but applying is suspended" };
  return { deleteAllowed: true, blocker: "" };
}

/** Lists the first few files, then how many others there are. */
function listFiles(files: readonly string[]): string {
  const listed = files.slice(0, LISTED_FILES).join(", ");
  return files.length > LISTED_FILES ? `${listed} and ${files.length - LISTED_FILES} other files` : listed;
}

/** Builds the orphan note's message that says why a removed identity's resources are kept. */
export function orphanMessage(policy: RemovalPolicy): string {
  return `the file was removed, and ${policy.blocker}; its cloud resources are kept`;
}

/** Reason of a planned delete of a removed identity's resource. */
export const PRUNE_REASON = "the file was removed and prune is on";

/**
 * Notes for identities that are invalid now, because their own file or their
 * integration's file has errors. Nothing is planned for them: they keep their last
 * installed state until the file is fixed. A provider or integration that the file does
 * not state comes from the previous status, and is unknown (null, "") without one.
 */
export function invalidIdentityNotes(model: ConfigModel, previous: StatusFile | undefined): { notes: IdentityNote[]; states: Record<string, IdentityPlanState> } {
  const notes: IdentityNote[] = [];
  const states: Record<string, IdentityPlanState> = {};
  for (const identity of model.invalidIdentities.values()) {
    const before = previous?.identities[identity.name];
    notes.push({
      identity: identity.name,
      provider: identity.provider ?? before?.provider ?? null,
      integration: identity.integration ?? before?.integration ?? "",
      message: invalidIdentityMessage(identity),
    });
    states[identity.name] = { state: "invalid" };
  }
  return { notes, states };
}

/** Says why an identity is invalid and that it keeps its last installed state, naming the file to fix. */
export function invalidIdentityMessage(identity: InvalidIdentity): string {
  return `${invalidIdentityCause(identity)}; the identity keeps its last installed state until the file is fixed`;
}

/** Builds a note about an identity of the model. */
export function identityNote(identity: WorkloadIdentity, message: string, resource?: string): IdentityNote {
  return { identity: identity.name, provider: identity.provider, integration: identity.integration, message, ...(resource !== undefined ? { resource } : {}) };
}

/** States in which an identity's credentials work, because its role exists and wid manages it. */
const READY_STATES: ReadonlySet<IdentityState> = new Set(["installed", "pending-install", "drifted", "invalid"]);

/** Tells whether a workload can use an identity in `state` whose permissions are installed or about to be. */
export function isReadyState(state: IdentityState | undefined, installed: boolean): boolean {
  if (state === "installed") return true;
  return state !== undefined && installed && READY_STATES.has(state);
}

/**
 * Builds the workload mapping of a plan. `isInstalled` tells whether an identity's
 * resources exist now. An identity is ready when it will be installed after the apply.
 */
export function planWorkloads(
  model: ConfigModel,
  previous: StatusFile | undefined,
  identities: Readonly<Record<string, IdentityPlanState>>,
  isInstalled: (name: string) => boolean,
): Record<string, WorkloadStatus> {
  const resolution = resolveSelections(model, { isInstalled, frozen: frozenSelections(model, previous) });
  const descriptions = previousDescriptions(previous);
  const mapping = buildWorkloadMapping(model, resolution, (name) => {
    const planned = identities[name];
    const before = previous?.identities[name];
    return {
      ready: isReadyState(planned?.state, isInstalled(name)),
      createdAt: planned?.observed?.createdAt ?? before?.createdAt ?? null,
      description: descriptions.get(name) ?? null,
      integration: before?.integration ?? null,
      awsRoleArn: planned?.observed?.reference.aws?.roleArn ?? before?.aws?.roleArn ?? null,
    };
  });
  keepFrozenEntries(mapping, resolution, model, previous);
  return mapping;
}

/** Collects the description each identity had in the previous mapping, which an invalid file can no longer supply. */
function previousDescriptions(previous: StatusFile | undefined): Map<string, string> {
  const descriptions = new Map<string, string>();
  for (const entry of Object.values(previous?.workloads ?? {})) {
    for (const selection of Object.values(entry)) {
      if (selection.identity !== null && selection.description !== null) descriptions.set(selection.identity, selection.description);
    }
  }
  return descriptions;
}
