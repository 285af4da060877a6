import type { GcpIntegration } from "../../config/model.js";
import { GCP_ROLE_ID_PREFIX } from "../../config/names.js";
import { hashText } from "../../plan/hash.js";
import type { PermissionCatalogCache } from "./catalog-cache.js";
import type { GcpClients } from "./clients.js";
import { principalPrefix } from "./desired.js";
import { GcpCallError } from "./errors.js";
import { canonicalJwks, JwksError } from "./jwks.js";
import { readPermissionCatalog, readPolicy, readPool, readProjectNumber, readProvider, readRoles, toBindings } from "./read.js";
import type { GcpObservation, ObservedBinding } from "./types.js";

/** The sources that observing reads besides the integration. */
export interface ObserveSources {
  clients: GcpClients;
  catalogCache: PermissionCatalogCache;
  /**
   * Returns the issuer's current key set (a JWKS object), or undefined when none is
   * available. Read only for integrations that set `uploadJwks`; an error it throws
   * fails the integration with the error's message.
   */
  issuerKeySet: () => unknown;
}

/**
 * Reads everything `compare` needs about one integration: the project number (checked
 * against the file), the pool and its provider, wid's custom roles, the project IAM
 * policy and the permission catalog. The reads run concurrently; without changes in the
 * project this is six calls, plus one per extra page of roles or permissions.
 */
export async function observeGcp(integration: GcpIntegration, sources: ObserveSources): Promise<GcpObservation> {
  const { clients } = sources;
  const issuerJwks = await readIssuerJwks(integration, sources);
  const [projectNumber, pool, oidcProvider, roles, policy, permissionCatalog] = await Promise.all([
    readProjectNumber(clients, integration),
    readPool(clients, integration),
    readProvider(clients, integration),
    readRoles(clients, integration),
    readPolicy(clients, integration),
    sources.catalogCache.get(integration.gcp.projectId, () => readPermissionCatalog(clients, integration)),
  ]);
  checkProjectNumber(integration, projectNumber);

  const bindings = relevantBindings(integration, toBindings(policy));
  const facts = {
    projectNumber,
    pool,
    oidcProvider,
    roles: [...roles.roles.values()].sort((a, b) => (a.roleId < b.roleId ? -1 : 1)).map(({ etag: _etag, ...role }) => role),
    customRoleCount: roles.count,
    bindings,
    issuerJwks,
  };
  return {
    provider: "gcp",
    integration: integration.name,
    account: `projects/${projectNumber}`,
    fingerprint: hashText(JSON.stringify(facts)),
    projectId: integration.gcp.projectId,
    projectNumber,
    pool,
    oidcProvider,
    roles: roles.roles,
    customRoleCount: roles.count,
    bindings,
    permissionCatalog,
    issuerJwks,
  };
}

/**
 * Refuses to go on when the project ID names another project than the number in the
 * file: principals carry the number, so every binding would name a pool that does not exist.
 */
export function checkProjectNumber(integration: GcpIntegration, observed: string): void {
  if (observed === integration.gcp.projectNumber) return;
  const { file, line, column } = integration.source;
  throw new GcpCallError(
    {
      kind: "wrong-account",
      httpStatus: null,
      status: null,
      message: `project ${integration.gcp.projectId} has number ${observed}, but ${file}:${line}:${column} sets spec.gcp.projectNumber "${integration.gcp.projectNumber}"`,
    },
    { integration: integration.name, call: "cloudresourcemanager.projects.get", resource: `projects/${integration.gcp.projectId}` },
  );
}

/** Bindings of wid's roles, and bindings that name a principal of the integration's pool, sorted. */
function relevantBindings(integration: GcpIntegration, bindings: readonly ObservedBinding[]): ObservedBinding[] {
  const rolePrefix = `projects/${integration.gcp.projectId}/roles/${GCP_ROLE_ID_PREFIX}`;
  const members = principalPrefix(integration);
  const relevant = bindings
    .filter((binding) => binding.role.startsWith(rolePrefix) || binding.members.some((member) => member.startsWith(members)))
    .map((binding) => ({ ...binding, members: [...binding.members].sort() }));
  const key = (binding: ObservedBinding): string => JSON.stringify([binding.role, binding.condition]);
  return relevant.sort((a, b) => {
    if (key(a) < key(b)) return -1;
    return key(a) > key(b) ? 1 : 0;
  });
}

async function readIssuerJwks(integration: GcpIntegration, sources: ObserveSources): Promise<string | null> {
  if (integration.gcp.uploadJwks !== true) return null;
  const context = { integration: integration.name, call: "issuer key set", resource: `${integration.source.file} spec.gcp.uploadJwks` };
  let keySet: unknown;
  try {
    keySet = await sources.issuerKeySet();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new GcpCallError({ kind: "invalid-request", httpStatus: null, status: null, message: `uploadJwks is true, but the issuer key set cannot be read: ${reason}` }, context);
  }
  if (keySet === undefined) {
    throw new GcpCallError(
      { kind: "invalid-request", httpStatus: null, status: null, message: "uploadJwks is true, but no issuer key set is available; pass --issuer-keys FILE or set WID_ISSUER_KEYS_FILE, or set uploadJwks to false when Google can fetch the issuer's JWKS" },
      context,
    );
  }
  try {
    return canonicalJwks(keySet);
  } catch (error) {
    if (!(error instanceof JwksError)) throw error;
    throw new GcpCallError({ kind: "invalid-request", httpStatus: null, status: null, message: `the issuer key set cannot be uploaded: ${error.message}` }, context);
  }
}
