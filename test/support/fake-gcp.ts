/**
 * A local fake of the Google Cloud APIs that wid calls, on 127.0.0.1: IAM v1
 * (workloadIdentityPools, their providers and operations, projects.roles,
 * permissions.queryTestablePermissions) and Cloud Resource Manager v3 (projects.get,
 * getIamPolicy, setIamPolicy). No Google IAM emulator exists, so tests run against this.
 *
 * What it models, following Google's REST reference for IAM v1 and Resource Manager v3:
 * - Resource names as Google returns them: pools and providers under the project number,
 *   roles under the project ID. Projects are found by ID or number. An unknown project
 *   is 403 PERMISSION_DENIED, because Google does not reveal whether it exists.
 * - Long-running operations: pool and provider create, patch, delete and undelete return
 *   `{ done: false }` and take effect only when the operation completes, after a delay set
 *   per project; `operations.get` then returns `done: true` with `response` or `error`.
 *   A resource with a running operation rejects other writes with 409 ABORTED, and a pool
 *   being created is invisible (404) while its ID is already taken (409).
 * - Soft delete: deleted pools, providers and roles stay readable with state DELETED or
 *   `deleted: true`, are listed only with `showDeleted`, and can be undeleted. Their IDs stay
 *   reserved: creating a deleted pool or provider ID is 409 ALREADY_EXISTS, and a deleted
 *   role ID is 400 FAILED_PRECONDITION ("marked for deletion"), as the real API answers.
 *   Writes other than undelete on a deleted resource are 400 FAILED_PRECONDITION.
 * - A role past its 7-day undelete window (`expireRoleUndeleteWindow`): gone from get and
 *   list, not restorable, and its ID still reserved.
 * - `updateMask`: a patch changes only the masked fields; an unknown path is 400
 *   INVALID_ARGUMENT; pools and providers require a mask, roles treat a missing one as all
 *   fields. camelCase and snake_case paths are both accepted.
 * - Custom roles: ID syntax, title length, 3,000 permissions, the BASIC list view without
 *   permissions, omitted default fields (ALPHA stage, false `deleted`), etags, and a
 *   per-project quota of 300 roles that counts deleted roles (429 RESOURCE_EXHAUSTED).
 * - A permission catalog with SUPPORTED, TESTING and NOT_SUPPORTED custom-role support;
 *   roles with an unknown or NOT_SUPPORTED permission are 400 INVALID_ARGUMENT.
 * - The project IAM policy: etags, version 3 and conditional bindings (a version 1 read
 *   renames them to `ROLE_withcond_HASH`), 409 ABORTED on a stale etag, merging of
 *   duplicate bindings, the 1,500-principal limit, and checks that newly granted custom
 *   roles and workload identity pools exist. A test can inject a concurrent writer that
 *   changes the policy just before the next setIamPolicy.
 * - Google's error envelope `{ error: { code, message, status, details } }` and a bearer
 *   token check (401 UNAUTHENTICATED without the fake's token).
 * - Request counting by method ID, a request log, and injected failures of the next
 *   request of a method or of the next completed operation.
 * - A Security Token Service token exchange that returns the fixed token, so a wid child
 *   process authenticates through Application Default Credentials (see `fakeGcpEnv`).
 *
 * What it does not model: real authentication, OAuth scopes and the caller's own IAM
 * permissions; IAM conditions evaluation and CEL syntax checks of attribute conditions;
 * organization policies and VPC Service Controls; organization and folder roles; real
 * timing, rate limits and eventual consistency (writes are visible at once after an
 * operation completes); the 30-day and 37-day purges (tests call `purge` and
 * `expireRoleUndeleteWindow`); verification of the subject token in the STS exchange;
 * audit configs; other provider
 * kinds (AWS, SAML, X.509) and pool features (namespaces, managed identities).
 */

import { writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";

import { staticTokenAuth } from "../../src/providers/gcp/clients.js";
import type { GcpAuth } from "../../src/providers/gcp/clients.js";
import { GoogleApiError } from "./fake-gcp/errors.js";
import type { GoogleStatus } from "./fake-gcp/errors.js";
import { OperationStore } from "./fake-gcp/operations.js";
import { DEFAULT_CATALOG, PermissionCatalog } from "./fake-gcp/permissions.js";
import type { CatalogPermission } from "./fake-gcp/permissions.js";
import { PolicyHandlers } from "./fake-gcp/policy.js";
import type { PolicyChange } from "./fake-gcp/policy.js";
import { PoolHandlers } from "./fake-gcp/pools.js";
import { isRecord } from "./fake-gcp/request.js";
import { RoleHandlers } from "./fake-gcp/roles.js";
import { exchangeToken } from "./fake-gcp/sts.js";
import { isReadMethod, routes } from "./fake-gcp/router.js";
import type { Route } from "./fake-gcp/router.js";
import { FakeState } from "./fake-gcp/state.js";
import type { FakeProject, ProjectState, StoredBinding, StoredPolicy, StoredPool, StoredProvider, StoredRole } from "./fake-gcp/state.js";

export type { CatalogPermission, FakeProject, GoogleStatus, StoredBinding, StoredPolicy };
export { DEFAULT_CATALOG };

/** The bearer token the fake accepts when `FakeGcpOptions.token` is not set. */
export const FAKE_GCP_TOKEN = "fake-gcp-access-token";

export interface FakeGcpOptions {
  /** Default: one project, `wid-test-project` number `123456789012`. */
  projects?: FakeProject[];
  /** Milliseconds before an operation reports done. Default 10. */
  operationDelayMs?: number;
  catalog?: readonly CatalogPermission[];
  /** Custom roles per project, deleted ones included. Default 300, Google's quota. */
  customRoleQuota?: number;
  token?: string;
}

export interface LoggedRequest {
  method: string;
  httpMethod: string;
  path: string;
  query: Record<string, string>;
  body: Record<string, unknown>;
  status: number;
}

export interface FakeGcp {
  /** `http://127.0.0.1:PORT`, the root URL for both IAM and Resource Manager. */
  endpoint: string;
  token: string;
  projects: readonly FakeProject[];
  /** Requests by Google method ID since the start or the last `resetCalls`. */
  calls(): Record<string, number>;
  totalCalls(): number;
  /** Requests that were not reads. */
  writes(): LoggedRequest[];
  requests(): readonly LoggedRequest[];
  resetCalls(): void;
  setOperationDelay(ms: number, project?: string): void;
  /** Makes the next request of a method fail with this status, without effect. */
  failNextRequest(method: string, status: GoogleStatus, message: string): void;
  /** Makes the next operation that completes fail with this status, without effect. */
  failNextOperation(status: GoogleStatus, message: string): void;
  /** Runs `change` on the policy just before each of the next `times` setIamPolicy calls. */
  injectConcurrentPolicyWrite(project: string, change: PolicyChange, times?: number): void;
  concurrentPolicyWrites(): number;
  policy(project: string): StoredPolicy;
  setBindings(project: string, bindings: StoredBinding[]): void;
  pool(project: string, poolId: string): StoredPool | undefined;
  provider(project: string, poolId: string, providerId: string): StoredProvider | undefined;
  role(project: string, roleId: string): StoredRole | undefined;
  roles(project: string): StoredRole[];
  /** Creates a role directly, as another tool would, for conflict and quota setups. */
  seedRole(project: string, role: { roleId: string; title?: string; description?: string; permissions?: string[]; deleted?: boolean }): void;
  /** Soft-deletes at once, without an operation: the state after `gcloud ... delete`. */
  softDeletePool(project: string, poolId: string): void;
  softDeleteProvider(project: string, poolId: string, providerId: string): void;
  softDeleteRole(project: string, roleId: string): void;
  /** Ends a deleted role's undelete window while its ID stays reserved. */
  expireRoleUndeleteWindow(project: string, roleId: string): void;
  /** Removes a soft-deleted pool or role for good, freeing its ID. */
  purgePool(project: string, poolId: string): void;
  purgeRole(project: string, roleId: string): void;
  addPermission(permission: CatalogPermission): void;
  pendingOperations(): number;
  stop(): Promise<void>;
}

/** Starts the fake on a free loopback port. */
export async function startFakeGcp(options: FakeGcpOptions = {}): Promise<FakeGcp> {
  const projects = options.projects ?? [{ projectId: "wid-test-project", projectNumber: "123456789012" }];
  const token = options.token ?? FAKE_GCP_TOKEN;
  const state = new FakeState(projects, options.operationDelayMs ?? 10);
  const operations = new OperationStore();
  const catalog = new PermissionCatalog(options.catalog ?? DEFAULT_CATALOG);
  const quota = options.customRoleQuota ?? 300;
  const policy = new PolicyHandlers(state);
  const table = routes({ state, operations, catalog, policy, pools: new PoolHandlers(state, operations), roles: new RoleHandlers(state, catalog, () => quota) });
  const log: LoggedRequest[] = [];
  const failures = new Map<string, GoogleApiError[]>();

  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      send(response, 500, new GoogleApiError("INTERNAL", `fake error: ${String(error)}`).envelope("googleapis.com"));
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const path = decodeURIComponent(url.pathname);
    const httpMethod = request.method ?? "GET";
    const text = await readBody(request);
    const domain = path.startsWith("/v3/") ? "cloudresourcemanager.googleapis.com" : "iam.googleapis.com";
    const { route, params } = match(table, httpMethod, path);
    const entry: LoggedRequest = { method: route?.method ?? `unknown ${httpMethod} ${path}`, httpMethod, path, query: Object.fromEntries(url.searchParams), body: {}, status: 200 };
    log.push(entry);

    const reply = (status: number, body: Record<string, unknown>): void => {
      entry.status = status;
      send(response, status, body);
    };
    try {
      if (httpMethod === "POST" && path === "/v1/token") {
        entry.method = "sts.token";
        reply(200, exchangeToken(text, token));
        return;
      }
      if (request.headers.authorization !== `Bearer ${token}`) {
        throw new GoogleApiError("UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token.", "ACCESS_TOKEN_TYPE_UNSUPPORTED");
      }
      if (route === undefined) throw new GoogleApiError("NOT_FOUND", `Method not found: ${httpMethod} ${path}`);
      const body = parseBody(text);
      entry.body = body;
      const injected = failures.get(route.method)?.shift();
      if (injected !== undefined) throw injected;
      operations.settle();
      reply(200, route.handle({ method: httpMethod, params, query: url.searchParams, body }, path));
    } catch (error) {
      if (!(error instanceof GoogleApiError)) throw error;
      reply(error.httpStatus, error.envelope(domain));
    }
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  const project = (key: string): ProjectState => state.project(key, "test");
  const settled = <T>(read: () => T): T => {
    operations.settle();
    return read();
  };

  return {
    endpoint: `http://127.0.0.1:${port}`,
    token,
    projects,
    calls: () => countByMethod(log),
    totalCalls: () => log.length,
    writes: () => log.filter((entry) => !isReadMethod(entry.method)),
    requests: () => log,
    resetCalls: () => void log.splice(0, log.length),
    setOperationDelay(ms, key) {
      for (const target of key === undefined ? state.projects() : [project(key)]) target.operationDelayMs = ms;
    },
    failNextRequest(method, status, message) {
      failures.set(method, [...(failures.get(method) ?? []), new GoogleApiError(status, message)]);
    },
    failNextOperation: (status, message) => operations.failNext(new GoogleApiError(status, message)),
    injectConcurrentPolicyWrite: (key, change, times = 1) => policy.injectConcurrentWrite(key, change, times),
    concurrentPolicyWrites: () => policy.concurrentWrites,
    policy: (key) => structuredClone(project(key).policy),
    setBindings(key, bindings) {
      const target = project(key);
      target.policy = { version: bindings.some((binding) => binding.condition !== undefined) ? 3 : 1, etag: state.nextEtag(), bindings: structuredClone(bindings) };
    },
    pool: (key, poolId) => settled(() => visible(project(key).pools.get(poolId))),
    provider: (key, poolId, providerId) => settled(() => visible(project(key).pools.get(poolId)?.providers.get(providerId))),
    role: (key, roleId) => project(key).roles.get(roleId),
    roles: (key) => [...project(key).roles.values()],
    seedRole(key, role) {
      const target = project(key);
      target.roles.set(role.roleId, {
        roleId: role.roleId,
        name: `projects/${target.project.projectId}/roles/${role.roleId}`,
        title: role.title ?? "",
        description: role.description ?? "",
        includedPermissions: [...(role.permissions ?? [])].sort(),
        stage: "GA",
        etag: state.nextEtag(),
        deleted: role.deleted ?? false,
        purging: false,
      });
    },
    softDeletePool: (key, poolId) => softDelete(settled(() => visible(project(key).pools.get(poolId)))),
    softDeleteProvider: (key, poolId, providerId) => softDelete(settled(() => visible(project(key).pools.get(poolId)?.providers.get(providerId)))),
    softDeleteRole(key, roleId) {
      const role = required(project(key).roles.get(roleId), roleId);
      role.deleted = true;
      role.deletedAt = Date.now();
      role.etag = state.nextEtag();
    },
    expireRoleUndeleteWindow(key, roleId) {
      const role = required(project(key).roles.get(roleId), roleId);
      if (!role.deleted) throw new Error(`role ${roleId} is not deleted`);
      role.purging = true;
    },
    purgePool: (key, poolId) => void project(key).pools.delete(poolId),
    purgeRole: (key, roleId) => void project(key).roles.delete(roleId),
    addPermission: (permission) => catalog.add(permission),
    pendingOperations: () => operations.pending(),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Creates an auth client that sends the fake's fixed bearer token, so tests never look for
 * Application Default Credentials.
 */
export function fakeGcpAuthClient(token: string = FAKE_GCP_TOKEN): GcpAuth {
  return staticTokenAuth(token);
}

/**
 * Writes an `external_account` credential configuration into `dir` whose token exchange
 * goes to the fake, and returns the environment for a wid child process: Application
 * Default Credentials through GOOGLE_APPLICATION_CREDENTIALS, and both endpoints.
 */
export async function fakeGcpEnv(fake: FakeGcp, dir: string): Promise<Record<string, string>> {
  const tokenFile = path.join(dir, "gcp-subject-token");
  const configFile = path.join(dir, "gcp-credentials.json");
  await writeFile(tokenFile, "subject-token-not-verified-by-the-fake");
  const config = {
    type: "external_account",
    audience: "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/test/providers/test",
    subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
    token_url: `${fake.endpoint}/v1/token`,
    credential_source: { file: tokenFile, format: { type: "text" } },
  };
  await writeFile(configFile, JSON.stringify(config));
  return { GOOGLE_APPLICATION_CREDENTIALS: configFile, WID_GCP_IAM_ENDPOINT: fake.endpoint, WID_GCP_CRM_ENDPOINT: fake.endpoint };
}

function match(table: readonly Route[], httpMethod: string, path: string): { route?: Route; params: Record<string, string> } {
  for (const route of table) {
    if (route.httpMethod !== httpMethod) continue;
    const found = route.pattern.exec(path);
    if (found !== null) return { route, params: { ...found.groups } };
  }
  return { params: {} };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString("utf8");
}

function parseBody(text: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new GoogleApiError("INVALID_ARGUMENT", "Invalid JSON payload received.");
  }
  if (!isRecord(parsed)) throw new GoogleApiError("INVALID_ARGUMENT", "Invalid JSON payload received: expected an object.");
  return parsed;
}

function send(response: ServerResponse, status: number, body: Record<string, unknown>): void {
  response.writeHead(status, { "content-type": "application/json; charset=UTF-8" });
  response.end(JSON.stringify(body));
}

function countByMethod(log: readonly LoggedRequest[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const entry of log) counts[entry.method] = (counts[entry.method] ?? 0) + 1;
  return counts;
}

function visible<T extends { visible: boolean }>(resource: T | undefined): T | undefined {
  return resource?.visible === true ? resource : undefined;
}

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`${name} does not exist in the fake`);
  return value;
}

function softDelete(resource: StoredPool | StoredProvider | undefined): void {
  if (resource === undefined) throw new Error("the resource does not exist in the fake");
  resource.state = "DELETED";
  resource.deletedAt = Date.now();
}

