/**
 * Field-by-field comparison of what wid writes with what Google Cloud holds, giving the
 * `updateMask` of a patch and a readable line per difference.
 */

import type { ChangeAction, ResourceChange, ResourceType } from "../../plan/types.js";
import { canonicalUploadedJwks } from "./jwks.js";
import type { GcpChangeDetails, ObservedPool, ObservedProvider, ObservedRole, PoolFields, ProviderFields, RoleFields } from "./types.js";
import { compareBytes } from "../../text/order.js";

/** The `updateMask` paths that differ, and one line per difference for the plan. */
export interface FieldDiff {
  updateMask: string[];
  attributes: string[];
}

export function diffPoolFields(observed: ObservedPool, want: PoolFields): FieldDiff {
  const diff: FieldDiff = { updateMask: [], attributes: [] };
  text(diff, "displayName", "display name", observed.displayName, want.displayName);
  text(diff, "description", "description", observed.description, want.description);
  if (observed.disabled !== want.disabled) add(diff, "disabled", `disabled: ${String(observed.disabled)} -> ${String(want.disabled)}`);
  return diff;
}

export function diffProviderFields(observed: ObservedProvider, want: ProviderFields): FieldDiff {
  const diff = diffPoolFields(observed, want);
  if (JSON.stringify(sortedEntries(observed.attributeMapping)) !== JSON.stringify(sortedEntries(want.attributeMapping))) {
    add(diff, "attributeMapping", `attribute mapping: ${JSON.stringify(observed.attributeMapping)} -> ${JSON.stringify(want.attributeMapping)}`);
  }
  text(diff, "attributeCondition", "attribute condition", observed.attributeCondition, want.attributeCondition);
  text(diff, "oidc.issuerUri", "issuer", observed.issuerUri, want.oidc.issuerUri);
  if (JSON.stringify([...observed.allowedAudiences].sort()) !== JSON.stringify([...want.oidc.allowedAudiences].sort())) {
    const shown = (audiences: readonly string[]): string => (audiences.length === 0 ? "(the default audience)" : audiences.join(", "));
    add(diff, "oidc.allowedAudiences", `allowed audiences: ${shown(observed.allowedAudiences)} -> ${shown(want.oidc.allowedAudiences)}`);
  }
  const uploaded = canonicalUploadedJwks(observed.jwksJson);
  const wanted = want.oidc.jwksJson === "" ? null : want.oidc.jwksJson;
  if (uploaded !== wanted || (wanted === null && observed.jwksJson !== "")) {
    const describe = (jwks: string | null): string => (jwks === null ? "(none, Google fetches the issuer's JWKS)" : `keys ${keyIds(jwks)}`);
    add(diff, "oidc.jwksJson", `uploaded JWKS: ${observed.jwksJson !== "" && uploaded === null ? "(unreadable)" : describe(uploaded)} -> ${describe(wanted)}`);
  }
  return diff;
}

/** Differences of a role; `includedPermissions` goes to `permissionsAdded` and `permissionsRemoved`. */
export function diffRoleFields(observed: ObservedRole, want: RoleFields): FieldDiff & { permissionsAdded: string[]; permissionsRemoved: string[] } {
  const diff: FieldDiff = { updateMask: [], attributes: [] };
  text(diff, "title", "title", observed.title, want.title);
  text(diff, "description", "description", observed.description, want.description);
  if (observed.stage !== want.stage) add(diff, "stage", `stage: ${observed.stage} -> ${want.stage}`);
  const permissionsAdded = want.includedPermissions.filter((permission) => !observed.permissions.includes(permission));
  const permissionsRemoved = observed.permissions.filter((permission) => !want.includedPermissions.includes(permission));
  if (permissionsAdded.length > 0 || permissionsRemoved.length > 0) diff.updateMask.push("includedPermissions");
  return { ...diff, permissionsAdded, permissionsRemoved };
}

/** Builds a planned Google Cloud change. */
export function gcpChange(
  action: ChangeAction,
  type: ResourceType,
  resource: string,
  integration: string,
  identity: string | null,
  reason: string,
  details: GcpChangeDetails,
): ResourceChange {
  return { action, type, resource, provider: "gcp", integration, identity, reason, details };
}

function text(diff: FieldDiff, path: string, label: string, observed: string, want: string): void {
  if (observed !== want) add(diff, path, `${label}: ${JSON.stringify(observed)} -> ${JSON.stringify(want)}`);
}

function add(diff: FieldDiff, path: string, attribute: string): void {
  diff.updateMask.push(path);
  diff.attributes.push(attribute);
}

function sortedEntries(record: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => compareBytes(a, b));
}

function keyIds(jwks: string): string {
  const parsed: unknown = JSON.parse(jwks);
  const keys = typeof parsed === "object" && parsed !== null && "keys" in parsed && Array.isArray(parsed.keys) ? parsed.keys : [];
  return keys.map((key: unknown) => (typeof key === "object" && key !== null && "kid" in key && typeof key.kid === "string" ? key.kid : "(no kid)")).join(", ");
}
