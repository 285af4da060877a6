/**
 * The API calls of each planned pool, provider and custom role change. Pool and provider
 * writes are long-running operations, waited for to completion. Bindings are not written
 * here: apply batches them into one policy update.
 */

import type { iam_v1 } from "@googleapis/iam";
import type { Logger } from "pino";

import type { GcpIntegration } from "../../config/model.js";
import type { ResourceChange } from "../../plan/types.js";
import type { OutcomeKind } from "../types.js";
import type { GcpClients } from "./clients.js";
import type { CallContext } from "./errors.js";
import { GcpCallError, hasStatus, readGoogleFailure, toGcpCallError } from "./errors.js";
import type { OperationWait } from "./operations.js";
import { waitForOperation } from "./operations.js";
import type { GcpChangeDetails, Patch, PoolFields, ProviderFields, RoleFields } from "./types.js";

/** Everything one write needs besides the change. */
export interface GcpWriteContext {
  clients: GcpClients;
  integration: GcpIntegration;
  operationWait: OperationWait;
  logger: Logger;
}

/** The outcome of a write when it differs from the planned action, and facts for the status file. */
export interface GcpWriteResult {
  outcome?: OutcomeKind;
  reference?: string;
  createdAt?: string;
}

type Details<K extends GcpChangeDetails["kind"]> = Extract<GcpChangeDetails, { kind: K }>;

/** Sends the calls of one pool, provider or role change. Throws a GcpCallError. */
export async function writeChange(change: ResourceChange, details: GcpChangeDetails, context: GcpWriteContext): Promise<GcpWriteResult> {
  const call = (method: string, resource: string): CallContext => ({ integration: context.integration.name, identity: change.identity, call: method, resource });
  switch (details.kind) {
    case "gcp-create-pool":
    case "gcp-undelete-pool":
    case "gcp-update-pool":
      return writePool(details, context, call);
    case "gcp-create-provider":
    case "gcp-undelete-provider":
    case "gcp-update-provider":
      return writeProvider(details, context, call);
    case "gcp-create-role":
    case "gcp-undelete-role":
    case "gcp-update-role":
    case "gcp-delete-role":
      return writeRole(details, context, call);
    case "gcp-add-binding":
    case "gcp-set-binding":
    case "gcp-remove-binding":
      throw new GcpCallError({ kind: "other", httpStatus: null, status: null, message: "bindings are written by the policy update, not one by one" }, call("cloudresourcemanager.projects.setIamPolicy", details.role));
  }
}

async function writePool(
  details: Details<"gcp-create-pool" | "gcp-undelete-pool" | "gcp-update-pool">,
  context: GcpWriteContext,
  call: (method: string, resource: string) => CallContext,
): Promise<GcpWriteResult> {
  const pools = context.clients.iam.projects.locations.workloadIdentityPools;
  const method = "iam.projects.locations.workloadIdentityPools";
  if (details.kind === "gcp-create-pool") {
    const name = `${details.parent}/workloadIdentityPools/${details.poolId}`;
    const where = call(`${method}.create`, name);
    await runOperation(context, where, () => pools.create({ parent: details.parent, workloadIdentityPoolId: details.poolId, requestBody: poolBody(details.fields) }));
    return { reference: name };
  }
  if (details.kind === "gcp-undelete-pool") {
    await runOperation(context, call(`${method}.undelete`, details.name), () => pools.undelete({ name: details.name, requestBody: {} }));
  }
  if (details.patch !== null) {
    const patch = details.patch;
    await runOperation(context, call(`${method}.patch`, details.name), () => pools.patch({ name: details.name, updateMask: patch.updateMask.join(","), requestBody: poolBody(patch.fields) }));
  }
  return { reference: details.name };
}

async function writeProvider(
  details: Details<"gcp-create-provider" | "gcp-undelete-provider" | "gcp-update-provider">,
  context: GcpWriteContext,
  call: (method: string, resource: string) => CallContext,
): Promise<GcpWriteResult> {
  const providers = context.clients.iam.projects.locations.workloadIdentityPools.providers;
  const method = "iam.projects.locations.workloadIdentityPools.providers";
  if (details.kind === "gcp-create-provider") {
    const name = `${details.parent}/providers/${details.providerId}`;
    const body = providerBody(details.fields, false);
    await runOperation(context, call(`${method}.create`, name), () => providers.create({ parent: details.parent, workloadIdentityPoolProviderId: details.providerId, requestBody: body }));
    return { reference: name };
  }
  if (details.kind === "gcp-undelete-provider") {
    await runOperation(context, call(`${method}.undelete`, details.name), () => providers.undelete({ name: details.name, requestBody: {} }));
  }
  if (details.patch !== null) {
    const patch: Patch<ProviderFields> = details.patch;
    const body = providerBody(patch.fields, true);
    await runOperation(context, call(`${method}.patch`, details.name), () => providers.patch({ name: details.name, updateMask: patch.updateMask.join(","), requestBody: body }));
  }
  return { reference: details.name };
}

async function writeRole(
  details: Details<"gcp-create-role" | "gcp-undelete-role" | "gcp-update-role" | "gcp-delete-role">,
  context: GcpWriteContext,
  call: (method: string, resource: string) => CallContext,
): Promise<GcpWriteResult> {
  const roles = context.clients.iam.projects.roles;
  switch (details.kind) {
    case "gcp-create-role": {
      const name = `${details.parent}/roles/${details.roleId}`;
      try {
        await roles.create({ parent: details.parent, requestBody: { roleId: details.roleId, role: roleBody(details.fields) } });
      } catch (error) {
        throw reservedRoleError(error, call("iam.projects.roles.create", name));
      }
      return { reference: name, createdAt: new Date().toISOString() };
    }
    case "gcp-undelete-role": {
      let etag = details.etag;
      try {
        const restored = await roles.undelete({ name: details.name, requestBody: { etag } });
        etag = restored.data.etag ?? "";
      } catch (error) {
        throw toGcpCallError(error, call("iam.projects.roles.undelete", details.name));
      }
      if (details.patch !== null) await patchRole(roles, details.name, details.patch, etag, call);
      return { reference: details.name };
    }
    case "gcp-update-role":
      await patchRole(roles, details.name, details.patch, details.etag, call);
      return { reference: details.name };
    case "gcp-delete-role":
      try {
        await roles.delete({ name: details.name, etag: details.etag });
      } catch (error) {
        // Already deleted, or already gone: the change asked for exactly that.
        if (hasStatus(error, "NOT_FOUND") || (hasStatus(error, "FAILED_PRECONDITION") && /already deleted/i.test(readGoogleFailure(error).message))) {
          return { outcome: "deleted", reference: details.name };
        }
        throw toGcpCallError(error, call("iam.projects.roles.delete", details.name));
      }
      return { reference: details.name };
  }
}

async function patchRole(
  roles: iam_v1.Resource$Projects$Roles,
  name: string,
  patch: Patch<RoleFields>,
  etag: string,
  call: (method: string, resource: string) => CallContext,
): Promise<void> {
  try {
    await roles.patch({ name, updateMask: patch.updateMask.join(","), requestBody: { ...roleBody(patch.fields), ...(etag !== "" ? { etag } : {}) } });
  } catch (error) {
    throw toGcpCallError(error, call("iam.projects.roles.patch", name));
  }
}

/** Starts an operation and waits for it; both the start and the wait fail with `where`. */
async function runOperation(context: GcpWriteContext, where: CallContext, start: () => Promise<{ data: iam_v1.Schema$Operation }>): Promise<void> {
  let started: iam_v1.Schema$Operation;
  try {
    started = (await start()).data;
  } catch (error) {
    throw toGcpCallError(error, where);
  }
  context.logger.debug({ resource: where.resource, call: where.call, operation: started.name }, "operation started");
  await waitForOperation(context.clients.iam, started, context.operationWait, where);
}

/**
 * Explains a create that Google rejects because the role ID was deleted more than 7 days ago: it
 * can no longer be undeleted, and stays reserved until Google purges it.
 */
function reservedRoleError(error: unknown, where: CallContext): GcpCallError {
  const converted = toGcpCallError(error, where);
  if (converted.status !== "FAILED_PRECONDITION" || !/marked for deletion/i.test(converted.message)) return converted;
  return new GcpCallError(
    {
      kind: "invalid-request",
      httpStatus: converted.httpStatus,
      status: converted.status,
      message: `${readGoogleFailure(error).message} The role was deleted more than 7 days ago, so it can no longer be undeleted, and Google keeps its ID reserved until 37 days after the deletion; wid creates it on the first run after that`,
    },
    where,
  );
}

function poolBody(fields: PoolFields): iam_v1.Schema$WorkloadIdentityPool {
  return { displayName: fields.displayName, description: fields.description, disabled: fields.disabled };
}

/** Builds the provider as sent. An empty `jwksJson` is left out of a create, and sent to clear an upload in a patch. */
function providerBody(fields: ProviderFields, patch: boolean): iam_v1.Schema$WorkloadIdentityPoolProvider {
  const oidc: iam_v1.Schema$Oidc = { issuerUri: fields.oidc.issuerUri, allowedAudiences: [...fields.oidc.allowedAudiences] };
  if (patch || fields.oidc.jwksJson !== "") oidc.jwksJson = fields.oidc.jwksJson;
  return {
    ...poolBody(fields),
    attributeMapping: { ...fields.attributeMapping },
    attributeCondition: fields.attributeCondition,
    oidc,
  };
}

function roleBody(fields: RoleFields): iam_v1.Schema$Role {
  return { title: fields.title, description: fields.description, includedPermissions: [...fields.includedPermissions], stage: fields.stage };
}
