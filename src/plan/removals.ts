/**
 * The plan for owned resources that no identity of their integration uses: those of a
 * removed identity, and the stale ones of an identity whose role now has another name
 * (a new `roleNamePrefix`) or that moved to another integration.
 */

import type { ConfigModel, Integration, Provider, WorkloadIdentity } from "../config/model.js";
import type { IdentityRemoval } from "../providers/types.js";
import { orphanMessage, PRUNE_REASON, removalPolicy } from "./semantics.js";
import type { RemovalPolicy } from "./semantics.js";
import type { IdentityNote, IdentityPlanState, ResourceChange } from "./types.js";

/** An owned resource set that no identity of `integration` uses, as the adapter found it. */
export interface RemovalCandidate {
  integration: Integration;
  removal: IdentityRemoval;
}

/** The parts of the plan that removals add to. */
export interface RemovalParts {
  pending: ResourceChange[];
  orphans: IdentityNote[];
  identities: Record<string, IdentityPlanState>;
}

/**
 * Plans the candidates after every integration was compared, so that a stale role can
 * depend on the state of its identity in another integration. A removed identity's
 * resources are deleted with prune, or reported orphaned. A stale role is deleted only
 * with prune, and only for an identity with `install: true` whose new resources this
 * apply installs. Even then it goes only after they were installed (see
 * `ResourceChange.onlyAfter`). Otherwise it is kept and reported. Returns the deletes,
 * which the caller puts last.
 */
export function planRemovals(model: ConfigModel, candidates: readonly RemovalCandidate[], parts: RemovalParts): ResourceChange[] {
  const policy = removalPolicy(model);
  const deletes: ResourceChange[] = [];
  for (const { integration, removal } of candidates) {
    const identity = model.identities.get(removal.identity);
    const resource = removal.changes.find((change) => change.type === "role" || change.type === "custom-role")?.resource ?? removal.changes[0]?.resource;
    const note = (message: string): IdentityNote => ({ identity: removal.identity, provider: integration.provider, integration: integration.name, message, ...(resource !== undefined ? { resource } : {}) });

    if (identity === undefined) {
      if (policy.deleteAllowed) {
        deletes.push(...removal.changes.map((change) => ({ ...change, reason: PRUNE_REASON })));
        continue;
      }
      const message = orphanMessage(policy);
      parts.orphans.push(note(message));
      pendWhileSuspended(model, removal.changes, PRUNE_REASON, parts);
      if (!model.invalidIdentities.has(removal.identity)) {
        parts.identities[removal.identity] = {
          state: "orphaned",
          message,
          integration: integration.name,
          observed: { installedHash: removal.installedHash, createdAt: removal.createdAt, reference: removal.reference },
        };
      }
      continue;
    }

    const why = staleReason(integration, identity);
    const blocker = staleBlocker(policy, identity, parts.identities[identity.name]);
    if (blocker === undefined) {
      const onlyAfter = { integration: identity.integration, identity: identity.name };
      deletes.push(...removal.changes.map((change) => ({ ...change, reason: `${why}; prune is on, so the old ${kindOf(integration.provider)} is deleted once the new one is installed`, onlyAfter })));
      continue;
    }
    parts.orphans.push(note(`${why}; the old ${kindOf(integration.provider)} ${resource ?? ""} is kept because ${blocker}`));
    pendWhileSuspended(model, removal.changes, `${why}, and prune is on`, parts);
  }
  return deletes;
}

/** Says why an identity that still exists no longer uses a resource of `integration`. */
function staleReason(integration: Integration, identity: WorkloadIdentity): string {
  if (identity.integration !== integration.name) return `the identity moved from integration ${integration.name} to ${identity.integration}`;
  return integration.provider === "aws" ? "the identity's role now has another name because roleNamePrefix changed" : "the identity's custom role now has another name";
}

/** Says why a stale resource must stay for now, or returns undefined when it may be deleted once the new one is installed. */
function staleBlocker(policy: RemovalPolicy, identity: WorkloadIdentity, state: IdentityPlanState | undefined): string | undefined {
  if (!policy.deleteAllowed) return policy.blocker;
  if (!identity.install) return "install is false, so the new one is not installed";
  if (state?.state !== "installed") return `the new one will not be installed by this apply (the identity is ${state?.state ?? "not planned"})`;
  return undefined;
}

/** While applying is suspended, deletes that prune would make are shown as pending. */
function pendWhileSuspended(model: ConfigModel, changes: readonly ResourceChange[], reason: string, parts: RemovalParts): void {
  if (model.settings?.suspend === true && model.settings.prune && model.unreadableFiles.length === 0 && model.filesWithErrors.length === 0) {
    parts.pending.push(...changes.map((change) => ({ ...change, reason })));
  }
}

function kindOf(provider: Provider): string {
  return provider === "aws" ? "role" : "custom role";
}
