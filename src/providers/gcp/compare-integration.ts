/** Compares an integration's workload identity pool and OIDC provider with what wid writes. */

import type { GcpIntegration } from "../../config/model.js";
import type { ResourceChange, ResourceType } from "../../plan/types.js";
import type { IntegrationResourcesComparison } from "../types.js";
import type { DesiredPool, DesiredProvider } from "./desired.js";
import { desiredPool, desiredProvider, resourceNames } from "./desired.js";
import type { FieldDiff } from "./fields.js";
import { diffPoolFields, diffProviderFields, gcpChange } from "./fields.js";
import { issuerDigest } from "../ownership.js";
import { ownershipMark, readMark } from "./ownership.js";
import type { GcpChangeDetails, GcpObservation, ObservedPool } from "./types.js";

/**
 * Compares the pool and its provider: absent ones are created, soft-deleted ones are undeleted
 * (their IDs stay reserved for 30 days, so they cannot be created again) and patched,
 * and live ones are patched when a field differs. A pool or provider that wid does not
 * own, or that another integration owns, is a conflict that blocks the integration.
 */
export function compareIntegrationResources(integration: GcpIntegration, issuer: string, observation: GcpObservation): IntegrationResourcesComparison {
  const pool = desiredPool(integration, issuer);
  const provider = desiredProvider(integration, issuer, observation.issuerJwks);
  const resources = [resourceNames.pool(integration), resourceNames.provider(integration)];

  const conflict = ownershipConflict(integration, issuer, "workload identity pool", observation.pool) ?? ownershipConflict(integration, issuer, "OIDC provider", observation.oidcProvider);
  if (conflict !== undefined) return { status: "conflict", message: conflict, reference: null, resources, changes: [] };

  const changes = [...poolChanges(integration, pool, observation), ...providerChanges(integration, provider, observation)];
  const live = observation.pool?.state === "ACTIVE" && observation.oidcProvider?.state === "ACTIVE";
  // A soft-deleted provider keeps its name, so the reference holds while it is restored.
  return { status: live ? "present" : "absent", reference: observation.oidcProvider === null ? null : provider.name, resources, changes };
}

function poolChanges(integration: GcpIntegration, want: DesiredPool, observation: GcpObservation): ResourceChange[] {
  const found = observation.pool;
  const resource = resourceNames.pool(integration);
  const make = (action: ResourceChange["action"], reason: string, details: GcpChangeDetails, diff?: FieldDiff): ResourceChange =>
    withAttributes(gcpChange(action, "workload-identity-pool", resource, integration.name, null, reason, details), diff);

  if (found === null) {
    return [make("create", "the project has no workload identity pool for the integration", { kind: "gcp-create-pool", parent: want.parent, poolId: want.poolId, fields: want.fields })];
  }
  const diff = diffPoolFields(found, want.fields);
  if (found.state === "DELETED") {
    const patch = diff.updateMask.length > 0 ? { fields: want.fields, updateMask: diff.updateMask } : null;
    return [make("create", UNDELETE_REASON.pool, { kind: "gcp-undelete-pool", name: found.name, patch }, diff)];
  }
  if (diff.updateMask.length === 0) return [];
  return [make("update", "the pool differs from what wid writes", { kind: "gcp-update-pool", name: found.name, patch: { fields: want.fields, updateMask: diff.updateMask } }, diff)];
}

function providerChanges(integration: GcpIntegration, want: DesiredProvider, observation: GcpObservation): ResourceChange[] {
  const found = observation.oidcProvider;
  const resource = resourceNames.provider(integration);
  const type: ResourceType = "workload-identity-pool-provider";
  const make = (action: ResourceChange["action"], reason: string, details: GcpChangeDetails, diff?: FieldDiff): ResourceChange =>
    withAttributes(gcpChange(action, type, resource, integration.name, null, reason, details), diff);

  if (found === null) {
    return [make("create", `the pool has no OIDC provider trusting ${want.fields.oidc.issuerUri}`, { kind: "gcp-create-provider", parent: want.parent, providerId: want.providerId, fields: want.fields })];
  }
  const diff = diffProviderFields(found, want.fields);
  if (found.state === "DELETED") {
    const patch = diff.updateMask.length > 0 ? { fields: want.fields, updateMask: diff.updateMask } : null;
    return [make("create", UNDELETE_REASON.provider, { kind: "gcp-undelete-provider", name: found.name, patch }, diff)];
  }
  if (diff.updateMask.length === 0) return [];
  const reason = diff.updateMask.includes("oidc.jwksJson") && diff.updateMask.length === 1 ? "the issuer's signing keys changed" : "the OIDC provider differs from what wid writes";
  return [make("update", reason, { kind: "gcp-update-provider", name: found.name, patch: { fields: want.fields, updateMask: diff.updateMask } }, diff)];
}

const UNDELETE_REASON = {
  pool: "the pool was deleted; Google keeps its ID reserved for 30 days, so wid restores it with undelete instead of creating it",
  provider: "the OIDC provider was deleted; Google keeps its ID reserved for 30 days, so wid restores it with undelete instead of creating it",
};

/**
 * Explains why a pool or provider cannot be used, or returns undefined when it is absent
 * or wid owns it for this integration and issuer. A pool of another issuer is never
 * taken: its provider would be pointed at this issuer, and tokens of this issuer would
 * then act as the other repository's principals.
 */
function ownershipConflict(integration: GcpIntegration, issuer: string, what: string, found: ObservedPool | null): string | undefined {
  if (found === null) return undefined;
  const mark = readMark(found.description);
  const deleted = found.state === "DELETED" ? " (soft-deleted, with its ID reserved for 30 days)" : "";
  const field = what === "OIDC provider" ? "providerId" : "poolId";
  const wanted = ownershipMark(integration.name, issuer);
  if (mark === null) {
    return `the ${what} ${found.name}${deleted} exists in project ${integration.gcp.projectId} without wid's ownership mark; wid leaves it untouched and binds no identity to it. Choose another ${field} in the integration file, delete it, or start its description with "${wanted}" to let wid manage (and overwrite) it`;
  }
  if (mark.issuer !== null && mark.issuer !== issuerDigest(issuer)) {
    return `the ${what} ${found.name}${deleted} is managed by wid for another issuer (${mark.issuer}; this repository's issuer gives ${issuerDigest(issuer)}), so another config repository manages it; wid leaves it untouched. Choose another ${field}. If this repository's issuer changed, start its description with "${wanted}" to let wid manage it again`;
  }
  if (mark.integration !== integration.name) {
    return `the ${what} ${found.name}${deleted} is managed by wid integration ${mark.integration}, not ${integration.name}; give the integrations different ${field} values`;
  }
  return undefined;
}

function withAttributes(change: ResourceChange, diff: FieldDiff | undefined): ResourceChange {
  if (diff !== undefined && diff.attributes.length > 0) change.diff = { attributes: diff.attributes };
  return change;
}
