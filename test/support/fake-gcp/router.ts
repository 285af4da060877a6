/** Maps REST paths of IAM v1 and Cloud Resource Manager v3 to the fake's handlers. */

import type { OperationStore } from "./operations.js";
import type { PermissionCatalog } from "./permissions.js";
import type { PolicyHandlers } from "./policy.js";
import type { PoolHandlers } from "./pools.js";
import type { FakeRequest } from "./request.js";
import type { RoleHandlers } from "./roles.js";
import type { FakeState } from "./state.js";

export interface Route {
  httpMethod: string;
  pattern: RegExp;
  /** Google's method ID, such as `iam.projects.roles.create`; requests are counted by it. */
  method: string;
  handle: (request: FakeRequest, path: string) => Record<string, unknown>;
}

export interface Handlers {
  state: FakeState;
  operations: OperationStore;
  catalog: PermissionCatalog;
  pools: PoolHandlers;
  roles: RoleHandlers;
  policy: PolicyHandlers;
}

const SEGMENT = "[^/:]+";
const POOLS = `^/v1/projects/(?<project>${SEGMENT})/locations/(?<location>${SEGMENT})/workloadIdentityPools`;
const POOL = `${POOLS}/(?<pool>${SEGMENT})`;
const PROVIDER = `${POOL}/providers/(?<provider>${SEGMENT})`;
const ROLES = `^/v1/projects/(?<project>${SEGMENT})/roles`;
const ROLE = `${ROLES}/(?<role>${SEGMENT})`;
const CRM_PROJECT = `^/v3/projects/(?<project>${SEGMENT})`;

export function routes(handlers: Handlers): Route[] {
  const { pools, roles, policy, catalog, state } = handlers;
  const pool = "iam.projects.locations.workloadIdentityPools";
  const provider = `${pool}.providers`;
  const route = (httpMethod: string, pattern: string, method: string, handle: Route["handle"]): Route => ({
    httpMethod,
    pattern: new RegExp(`${pattern}$`),
    method,
    handle,
  });
  return [
    route("POST", "^/v1/permissions:queryTestablePermissions", "iam.permissions.queryTestablePermissions", (r) => catalog.queryTestable(r, state)),

    route("GET", ROLES, "iam.projects.roles.list", (r) => roles.list(r)),
    route("POST", ROLES, "iam.projects.roles.create", (r) => roles.create(r)),
    route("GET", ROLE, "iam.projects.roles.get", (r) => roles.get(r)),
    route("PATCH", ROLE, "iam.projects.roles.patch", (r) => roles.patch(r)),
    route("DELETE", ROLE, "iam.projects.roles.delete", (r) => roles.delete(r)),
    route("POST", `${ROLE}:undelete`, "iam.projects.roles.undelete", (r) => roles.undelete(r)),

    route("GET", POOLS, `${pool}.list`, (r) => pools.listPools(r)),
    route("POST", POOLS, `${pool}.create`, (r) => pools.createPool(r)),
    route("GET", POOL, `${pool}.get`, (r) => pools.getPool(r)),
    route("PATCH", POOL, `${pool}.patch`, (r) => pools.patchPool(r)),
    route("DELETE", POOL, `${pool}.delete`, (r) => pools.deletePool(r)),
    route("POST", `${POOL}:undelete`, `${pool}.undelete`, (r) => pools.undeletePool(r)),
    route("GET", `${POOL}/operations/${SEGMENT}`, `${pool}.operations.get`, (r, path) => pools.getOperation(r, path.slice("/v1/".length))),

    route("GET", `${POOL}/providers`, `${provider}.list`, (r) => pools.listProviders(r)),
    route("POST", `${POOL}/providers`, `${provider}.create`, (r) => pools.createProvider(r)),
    route("GET", PROVIDER, `${provider}.get`, (r) => pools.getProvider(r)),
    route("PATCH", PROVIDER, `${provider}.patch`, (r) => pools.patchProvider(r)),
    route("DELETE", PROVIDER, `${provider}.delete`, (r) => pools.deleteProvider(r)),
    route("POST", `${PROVIDER}:undelete`, `${provider}.undelete`, (r) => pools.undeleteProvider(r)),
    route("GET", `${PROVIDER}/operations/${SEGMENT}`, `${provider}.operations.get`, (r, path) => pools.getOperation(r, path.slice("/v1/".length))),

    route("GET", CRM_PROJECT, "cloudresourcemanager.projects.get", (r) => policy.getProject(r)),
    route("POST", `${CRM_PROJECT}:getIamPolicy`, "cloudresourcemanager.projects.getIamPolicy", (r) => policy.getIamPolicy(r)),
    route("POST", `${CRM_PROJECT}:setIamPolicy`, "cloudresourcemanager.projects.setIamPolicy", (r) => policy.setIamPolicy(r)),
  ];
}

/** Methods that only read; every other method counts as a write. */
export function isReadMethod(method: string): boolean {
  return /\.(get|list|queryTestablePermissions|getIamPolicy)$/.test(method);
}
