/**
 * Reads of Google Cloud state, each converted from the API's nullable JSON into the
 * adapter's plain types. Every failure is converted once into a GcpCallError.
 */

import type { cloudresourcemanager_v3 } from "@googleapis/cloudresourcemanager";
import type { iam_v1 } from "@googleapis/iam";

import type { GcpIntegration } from "../../config/model.js";
import { GCP_ROLE_ID_PREFIX } from "../../config/names.js";
import { gcpProviderName } from "../../credentials/layout.js";
import type { GcpClients } from "./clients.js";
import { poolName } from "./desired.js";
import { hasStatus, toGcpCallError } from "./errors.js";
import type { CustomRoleSupport, ObservedBinding, ObservedPool, ObservedProvider, ObservedRole } from "./types.js";

/** Largest page `projects.roles.list` and `queryTestablePermissions` return. */
const MAX_PAGE_SIZE = 1000;

/** Reads the project's number as Resource Manager reports it for the integration's project ID. */
export async function readProjectNumber(clients: GcpClients, integration: GcpIntegration): Promise<string> {
  const name = `projects/${integration.gcp.projectId}`;
  try {
    const response = await clients.crm.projects.get({ name });
    return (response.data.name ?? "").replace(/^projects\//, "");
  } catch (error) {
    throw toGcpCallError(error, { integration: integration.name, call: "cloudresourcemanager.projects.get", resource: name });
  }
}

/** Reads the integration's pool, soft-deleted or not, or returns null when there is none. */
export async function readPool(clients: GcpClients, integration: GcpIntegration): Promise<ObservedPool | null> {
  const name = poolName(integration);
  try {
    const response = await clients.iam.projects.locations.workloadIdentityPools.get({ name });
    return toPool(response.data, name);
  } catch (error) {
    if (hasStatus(error, "NOT_FOUND")) return null;
    throw toGcpCallError(error, { integration: integration.name, call: "iam.projects.locations.workloadIdentityPools.get", resource: name });
  }
}

/** Reads the integration's OIDC provider, soft-deleted or not, or returns null when it or its pool does not exist. */
export async function readProvider(clients: GcpClients, integration: GcpIntegration): Promise<ObservedProvider | null> {
  const name = gcpProviderName(integration);
  try {
    const response = await clients.iam.projects.locations.workloadIdentityPools.providers.get({ name });
    return toProvider(response.data, name);
  } catch (error) {
    if (hasStatus(error, "NOT_FOUND")) return null;
    throw toGcpCallError(error, { integration: integration.name, call: "iam.projects.locations.workloadIdentityPools.providers.get", resource: name });
  }
}

/**
 * Reads the project's custom roles with wid's ID prefix, deleted ones included, and the count
 * of all its custom roles. One paginated `projects.roles.list` in the FULL view, which
 * returns the permissions, so no role is read one by one.
 */
export async function readRoles(clients: GcpClients, integration: GcpIntegration): Promise<{ roles: Map<string, ObservedRole>; count: number }> {
  const parent = `projects/${integration.gcp.projectId}`;
  const roles = new Map<string, ObservedRole>();
  let count = 0;
  let pageToken: string | undefined;
  try {
    do {
      const response = await clients.iam.projects.roles.list({ parent, showDeleted: true, view: "FULL", pageSize: MAX_PAGE_SIZE, ...(pageToken !== undefined ? { pageToken } : {}) });
      for (const role of response.data.roles ?? []) {
        count += 1;
        const observed = toRole(role);
        if (observed !== null && observed.roleId.startsWith(GCP_ROLE_ID_PREFIX)) roles.set(observed.roleId, observed);
      }
      pageToken = response.data.nextPageToken ?? undefined;
    } while (pageToken !== undefined && pageToken !== "");
  } catch (error) {
    throw toGcpCallError(error, { integration: integration.name, call: "iam.projects.roles.list", resource: parent });
  }
  return { roles, count };
}

/** Reads the project's IAM policy at version 3, so that conditional bindings come back intact. */
export async function readPolicy(clients: GcpClients, integration: GcpIntegration): Promise<cloudresourcemanager_v3.Schema$Policy> {
  const resource = `projects/${integration.gcp.projectId}`;
  try {
    const response = await clients.crm.projects.getIamPolicy({ resource, requestBody: { options: { requestedPolicyVersion: 3 } } });
    return response.data;
  } catch (error) {
    throw toGcpCallError(error, { integration: integration.name, call: "cloudresourcemanager.projects.getIamPolicy", resource });
  }
}

/**
 * Reads every permission testable on the project with its custom role support. Permissions
 * that are absent cannot be granted at project level: they are unknown, or exist only at
 * organization or folder level.
 */
export async function readPermissionCatalog(clients: GcpClients, integration: GcpIntegration): Promise<Map<string, CustomRoleSupport>> {
  const fullResourceName = `//cloudresourcemanager.googleapis.com/projects/${integration.gcp.projectId}`;
  const catalog = new Map<string, CustomRoleSupport>();
  let pageToken: string | undefined;
  try {
    do {
      const response = await clients.iam.permissions.queryTestablePermissions({
        requestBody: { fullResourceName, pageSize: MAX_PAGE_SIZE, ...(pageToken !== undefined ? { pageToken } : {}) },
      });
      for (const permission of response.data.permissions ?? []) {
        if (permission.name != null) catalog.set(permission.name, supportLevel(permission.customRolesSupportLevel));
      }
      pageToken = response.data.nextPageToken ?? undefined;
    } while (pageToken !== undefined && pageToken !== "");
  } catch (error) {
    throw toGcpCallError(error, { integration: integration.name, call: "iam.permissions.queryTestablePermissions", resource: fullResourceName });
  }
  return catalog;
}

/** Converts the policy's bindings into the adapter's form, skipping bindings without a role. */
export function toBindings(policy: cloudresourcemanager_v3.Schema$Policy): ObservedBinding[] {
  const bindings: ObservedBinding[] = [];
  for (const binding of policy.bindings ?? []) {
    if (binding.role == null) continue;
    const condition = binding.condition;
    bindings.push({
      role: binding.role,
      members: [...(binding.members ?? [])],
      condition:
        condition?.expression == null
          ? null
          : {
              expression: condition.expression,
              ...(condition.title != null ? { title: condition.title } : {}),
              ...(condition.description != null ? { description: condition.description } : {}),
            },
    });
  }
  return bindings;
}

/** SUPPORTED is the enum's zero value, so Google leaves the field out for supported permissions. */
function supportLevel(level: string | null | undefined): CustomRoleSupport {
  return level === "TESTING" || level === "NOT_SUPPORTED" ? level : "SUPPORTED";
}

function toPool(pool: iam_v1.Schema$WorkloadIdentityPool, name: string): ObservedPool {
  return {
    name: pool.name ?? name,
    state: pool.state ?? "STATE_UNSPECIFIED",
    displayName: pool.displayName ?? "",
    description: pool.description ?? "",
    disabled: pool.disabled === true,
  };
}

function toProvider(provider: iam_v1.Schema$WorkloadIdentityPoolProvider, name: string): ObservedProvider {
  return {
    ...toPool(provider, name),
    attributeMapping: { ...(provider.attributeMapping ?? {}) },
    attributeCondition: provider.attributeCondition ?? "",
    issuerUri: provider.oidc?.issuerUri ?? "",
    allowedAudiences: [...(provider.oidc?.allowedAudiences ?? [])],
    jwksJson: provider.oidc?.jwksJson ?? "",
  };
}

function toRole(role: iam_v1.Schema$Role): ObservedRole | null {
  if (role.name == null) return null;
  return {
    roleId: role.name.slice(role.name.lastIndexOf("/") + 1),
    name: role.name,
    title: role.title ?? "",
    description: role.description ?? "",
    permissions: [...new Set(role.includedPermissions ?? [])].sort(),
    stage: role.stage ?? "ALPHA",
    deleted: role.deleted === true,
    etag: role.etag ?? "",
  };
}
