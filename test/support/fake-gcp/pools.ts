/**
 * Workload identity pools and their OIDC providers: create, get, list, patch, delete and
 * undelete, all writes as long-running operations, with soft delete and ID reservation.
 */

import { GoogleApiError, invalid, notFound } from "./errors.js";
import type { OperationEffect, OperationStore } from "./operations.js";
import type { FakeRequest } from "./request.js";
import { optionalBoolean, optionalRecord, optionalString, optionalStringList, optionalStringMap, pageSize, paginate, parseUpdateMask } from "./request.js";
import type { FakeState, ProjectState, StoredPool, StoredProvider } from "./state.js";
import { SOFT_DELETE_DAYS } from "./state.js";

const POOL_TYPE = "type.googleapis.com/google.iam.v1.WorkloadIdentityPool";
const PROVIDER_TYPE = "type.googleapis.com/google.iam.v1.WorkloadIdentityPoolProvider";
const ID_PATTERN = /^[a-z0-9-]{4,32}$/;
const POOL_MASK = ["displayName", "description", "disabled"];
const PROVIDER_MASK = [...POOL_MASK, "attributeMapping", "attributeCondition", "oidc", "oidc.issuerUri", "oidc.allowedAudiences", "oidc.jwksJson"];
const JWK_FIELDS = new Set(["kty", "alg", "use", "kid", "n", "e", "x", "y", "crv"]);
const DAY_MS = 86_400_000;

type Json = Record<string, unknown>;

export class PoolHandlers {
  constructor(
    private readonly state: FakeState,
    private readonly operations: OperationStore,
  ) {}

  createPool(request: FakeRequest): Json {
    const project = this.parent(request, "iam.workloadIdentityPools.create");
    const id = checkId(request.query.get("workloadIdentityPoolId"), "workload_identity_pool_id");
    if (project.pools.has(id)) throw new GoogleApiError("ALREADY_EXISTS", "Requested entity already exists", "RESOURCE_ALREADY_EXISTS");
    const pool: StoredPool = {
      id,
      name: `projects/${project.project.projectNumber}/locations/global/workloadIdentityPools/${id}`,
      displayName: optionalString(request.body, "displayName", 32) ?? "",
      description: optionalString(request.body, "description", 256) ?? "",
      disabled: optionalBoolean(request.body, "disabled") ?? false,
      providers: new Map(),
      state: "ACTIVE",
      visible: false,
    };
    project.pools.set(id, pool);
    return this.run(project, pool, {
      complete: () => {
        pool.visible = true;
        return poolJson(pool, true);
      },
      abandon: () => project.pools.delete(id),
    });
  }

  getPool(request: FakeRequest): Json {
    const project = this.parent(request, "iam.workloadIdentityPools.get");
    return poolJson(this.visiblePool(project, request.params.pool ?? ""), false);
  }

  listPools(request: FakeRequest): Json {
    const project = this.parent(request, "iam.workloadIdentityPools.list");
    const showDeleted = request.query.get("showDeleted") === "true";
    const pools = [...project.pools.values()].filter((pool) => pool.visible && (showDeleted || pool.state === "ACTIVE"));
    pools.sort((a, b) => (a.name < b.name ? -1 : 1));
    const { page, nextPageToken } = paginate(pools, request.query.get("pageToken"), pageSize(request.query, 50, 1000));
    return listJson("workloadIdentityPools", page.map((pool) => poolJson(pool, false)), nextPageToken);
  }

  patchPool(request: FakeRequest): Json {
    const project = this.parent(request, "iam.workloadIdentityPools.update");
    const pool = this.writablePool(project, request.params.pool ?? "");
    const mask = parseUpdateMask(request.query.get("updateMask"), POOL_MASK, true) ?? [];
    const update = {
      displayName: optionalString(request.body, "displayName", 32) ?? "",
      description: optionalString(request.body, "description", 256) ?? "",
      disabled: optionalBoolean(request.body, "disabled") ?? false,
    };
    return this.run(project, pool, {
      complete: () => {
        if (mask.includes("displayName")) pool.displayName = update.displayName;
        if (mask.includes("description")) pool.description = update.description;
        if (mask.includes("disabled")) pool.disabled = update.disabled;
        return poolJson(pool, true);
      },
      abandon: () => undefined,
    });
  }

  deletePool(request: FakeRequest): Json {
    const project = this.parent(request, "iam.workloadIdentityPools.delete");
    const pool = this.writablePool(project, request.params.pool ?? "");
    return this.run(project, pool, {
      complete: () => {
        pool.state = "DELETED";
        pool.deletedAt = Date.now();
        return poolJson(pool, true);
      },
      abandon: () => undefined,
    });
  }

  undeletePool(request: FakeRequest): Json {
    const project = this.parent(request, "iam.workloadIdentityPools.undelete");
    const pool = this.visiblePool(project, request.params.pool ?? "");
    if (pool.state !== "DELETED") throw new GoogleApiError("FAILED_PRECONDITION", `The workload identity pool ${pool.name} is not deleted.`);
    this.checkIdle(pool);
    return this.run(project, pool, {
      complete: () => {
        pool.state = "ACTIVE";
        delete pool.deletedAt;
        return poolJson(pool, true);
      },
      abandon: () => undefined,
    });
  }

  createProvider(request: FakeRequest): Json {
    const project = this.parent(request, "iam.workloadIdentityPoolProviders.create");
    const pool = this.writablePool(project, request.params.pool ?? "", true);
    const id = checkId(request.query.get("workloadIdentityPoolProviderId"), "workload_identity_pool_provider_id");
    if (pool.providers.has(id)) throw new GoogleApiError("ALREADY_EXISTS", "Requested entity already exists", "RESOURCE_ALREADY_EXISTS");
    const oidc = parseOidc(request.body, true);
    const provider: StoredProvider = {
      id,
      name: `${pool.name}/providers/${id}`,
      displayName: optionalString(request.body, "displayName", 32) ?? "",
      description: optionalString(request.body, "description", 256) ?? "",
      disabled: optionalBoolean(request.body, "disabled") ?? false,
      attributeMapping: parseMapping(request.body),
      attributeCondition: optionalString(request.body, "attributeCondition", 4096) ?? "",
      oidc: { issuerUri: oidc.issuerUri ?? "", allowedAudiences: oidc.allowedAudiences ?? [], jwksJson: oidc.jwksJson ?? "" },
      state: "ACTIVE",
      visible: false,
    };
    pool.providers.set(id, provider);
    return this.run(project, provider, {
      complete: () => {
        provider.visible = true;
        return providerJson(provider, true);
      },
      abandon: () => pool.providers.delete(id),
    });
  }

  getProvider(request: FakeRequest): Json {
    const project = this.parent(request, "iam.workloadIdentityPoolProviders.get");
    return providerJson(this.visibleProvider(this.visiblePool(project, request.params.pool ?? ""), request.params.provider ?? ""), false);
  }

  listProviders(request: FakeRequest): Json {
    const project = this.parent(request, "iam.workloadIdentityPoolProviders.list");
    const pool = this.visiblePool(project, request.params.pool ?? "");
    const showDeleted = request.query.get("showDeleted") === "true";
    const providers = [...pool.providers.values()].filter((provider) => provider.visible && (showDeleted || provider.state === "ACTIVE"));
    providers.sort((a, b) => (a.name < b.name ? -1 : 1));
    const { page, nextPageToken } = paginate(providers, request.query.get("pageToken"), pageSize(request.query, 50, 100));
    return listJson("workloadIdentityPoolProviders", page.map((provider) => providerJson(provider, false)), nextPageToken);
  }

  patchProvider(request: FakeRequest): Json {
    const project = this.parent(request, "iam.workloadIdentityPoolProviders.update");
    const provider = this.writableProvider(project, request);
    const mask = parseUpdateMask(request.query.get("updateMask"), PROVIDER_MASK, true) ?? [];
    const oidc = parseOidc(request.body, mask.includes("oidc") || mask.includes("oidc.issuerUri"));
    const update = {
      displayName: optionalString(request.body, "displayName", 32) ?? "",
      description: optionalString(request.body, "description", 256) ?? "",
      disabled: optionalBoolean(request.body, "disabled") ?? false,
      attributeMapping: mask.includes("attributeMapping") ? parseMapping(request.body) : {},
      attributeCondition: optionalString(request.body, "attributeCondition", 4096) ?? "",
    };
    return this.run(project, provider, {
      complete: () => {
        if (mask.includes("displayName")) provider.displayName = update.displayName;
        if (mask.includes("description")) provider.description = update.description;
        if (mask.includes("disabled")) provider.disabled = update.disabled;
        if (mask.includes("attributeMapping")) provider.attributeMapping = update.attributeMapping;
        if (mask.includes("attributeCondition")) provider.attributeCondition = update.attributeCondition;
        const whole = mask.includes("oidc");
        if (whole || mask.includes("oidc.issuerUri")) provider.oidc.issuerUri = oidc.issuerUri ?? "";
        if (whole || mask.includes("oidc.allowedAudiences")) provider.oidc.allowedAudiences = oidc.allowedAudiences ?? [];
        if (whole || mask.includes("oidc.jwksJson")) provider.oidc.jwksJson = oidc.jwksJson ?? "";
        return providerJson(provider, true);
      },
      abandon: () => undefined,
    });
  }

  deleteProvider(request: FakeRequest): Json {
    const project = this.parent(request, "iam.workloadIdentityPoolProviders.delete");
    const provider = this.writableProvider(project, request);
    return this.run(project, provider, {
      complete: () => {
        provider.state = "DELETED";
        provider.deletedAt = Date.now();
        return providerJson(provider, true);
      },
      abandon: () => undefined,
    });
  }

  undeleteProvider(request: FakeRequest): Json {
    const project = this.parent(request, "iam.workloadIdentityPoolProviders.undelete");
    const pool = this.writablePool(project, request.params.pool ?? "", true);
    const provider = this.visibleProvider(pool, request.params.provider ?? "");
    if (provider.state !== "DELETED") throw new GoogleApiError("FAILED_PRECONDITION", `The provider ${provider.name} is not deleted.`);
    this.checkIdle(provider);
    return this.run(project, provider, {
      complete: () => {
        provider.state = "ACTIVE";
        delete provider.deletedAt;
        return providerJson(provider, true);
      },
      abandon: () => undefined,
    });
  }

  getOperation(request: FakeRequest, name: string): Json {
    this.parent(request, "iam.workloadIdentityPools.get");
    const operation = this.operations.get(name);
    if (operation === undefined) throw notFound(name);
    return operation;
  }

  private parent(request: FakeRequest, permission: string): ProjectState {
    if (request.params.location !== "global") throw invalid(`The location ${request.params.location ?? ""} is not supported; the only supported location is global.`);
    return this.state.project(request.params.project ?? "", permission);
  }

  private visiblePool(project: ProjectState, id: string): StoredPool {
    const pool = project.pools.get(id);
    if (pool === undefined || !pool.visible) throw notFound(`projects/${project.project.projectNumber}/locations/global/workloadIdentityPools/${id}`);
    return pool;
  }

  /** Returns a pool that accepts writes: it exists, is idle, and is not deleted (unless only its children change). */
  private writablePool(project: ProjectState, id: string, forChild = false): StoredPool {
    const pool = this.visiblePool(project, id);
    if (pool.state === "DELETED") {
      throw new GoogleApiError("FAILED_PRECONDITION", `The workload identity pool ${pool.name} is deleted; undelete it before changing it or its providers.`);
    }
    if (!forChild) this.checkIdle(pool);
    return pool;
  }

  private visibleProvider(pool: StoredPool, id: string): StoredProvider {
    const provider = pool.providers.get(id);
    if (provider === undefined || !provider.visible) throw notFound(`${pool.name}/providers/${id}`);
    return provider;
  }

  private writableProvider(project: ProjectState, request: FakeRequest): StoredProvider {
    const pool = this.writablePool(project, request.params.pool ?? "", true);
    const provider = this.visibleProvider(pool, request.params.provider ?? "");
    if (provider.state === "DELETED") throw new GoogleApiError("FAILED_PRECONDITION", `The provider ${provider.name} is deleted; undelete it before changing it.`);
    this.checkIdle(provider);
    return provider;
  }

  private checkIdle(resource: StoredPool | StoredProvider): void {
    if (resource.busyWith !== undefined) {
      throw new GoogleApiError("ABORTED", `The operation ${resource.busyWith} on ${resource.name} is still running; retry when it is done.`);
    }
  }

  /** Starts an operation that keeps the resource busy until it completes or fails. */
  private run(project: ProjectState, resource: StoredPool | StoredProvider, effect: OperationEffect): Json {
    const started = this.operations.start(resource.name, project.operationDelayMs, {
      complete: () => {
        delete resource.busyWith;
        return effect.complete();
      },
      abandon: () => {
        delete resource.busyWith;
        effect.abandon();
      },
    });
    resource.busyWith = String(started.name);
    return started;
  }
}

function checkId(id: string | null, field: string): string {
  if (id === null || !ID_PATTERN.test(id)) throw invalid(`Field ${field} must be 4 to 32 characters of [a-z0-9-]; received ${JSON.stringify(id)}.`);
  if (id.startsWith("gcp-")) throw invalid(`Field ${field} must not start with "gcp-", which is reserved for Google.`);
  return id;
}

function parseMapping(body: Record<string, unknown>): Record<string, string> {
  const mapping = optionalStringMap(body, "attributeMapping") ?? {};
  if (mapping["google.subject"] === undefined) throw invalid("attribute_mapping must contain a mapping for google.subject for OIDC providers.");
  return mapping;
}

function parseOidc(body: Record<string, unknown>, required: boolean): { issuerUri?: string; allowedAudiences?: string[]; jwksJson?: string } {
  const oidc = optionalRecord(body, "oidc");
  if (oidc === undefined) {
    if (required) throw invalid("oidc.issuer_uri is required.");
    return {};
  }
  const issuerUri = optionalString(oidc, "issuerUri");
  if (required && (issuerUri === undefined || !issuerUri.startsWith("https://"))) throw invalid("oidc.issuer_uri must be an HTTPS URL.");
  const allowedAudiences = optionalStringList(oidc, "allowedAudiences");
  if (allowedAudiences !== undefined && (allowedAudiences.length > 10 || allowedAudiences.some((audience) => audience.length > 256))) {
    throw invalid("oidc.allowed_audiences accepts at most 10 audiences of at most 256 characters.");
  }
  const jwksJson = optionalString(oidc, "jwksJson");
  if (jwksJson !== undefined && jwksJson !== "") checkJwks(jwksJson);
  return { issuerUri, allowedAudiences, jwksJson };
}

/** Checks the key set the way Google documents it: RSA or EC keys with only the listed fields. */
function checkJwks(text: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid("oidc.jwks_json is not valid JSON.");
  }
  const keys = typeof parsed === "object" && parsed !== null && "keys" in parsed ? parsed.keys : undefined;
  if (!Array.isArray(keys) || keys.length === 0) throw invalid('oidc.jwks_json must be an object with a non-empty "keys" list.');
  for (const key of keys) {
    if (typeof key !== "object" || key === null) throw invalid("oidc.jwks_json contains a key that is not an object.");
    const fields = Object.keys(key);
    const unknown = fields.find((field) => !JWK_FIELDS.has(field));
    if (unknown !== undefined) throw invalid(`oidc.jwks_json key field "${unknown}" is not supported.`);
    const kty: unknown = "kty" in key ? key.kty : undefined;
    if (kty !== "RSA" && kty !== "EC") throw invalid("oidc.jwks_json supports only RSA and EC keys.");
  }
}

function lifecycleJson(resource: StoredPool | StoredProvider): Json {
  const json: Json = { name: resource.name, state: resource.state };
  if (resource.displayName !== "") json.displayName = resource.displayName;
  if (resource.description !== "") json.description = resource.description;
  if (resource.disabled) json.disabled = true;
  if (resource.deletedAt !== undefined) json.expireTime = new Date(resource.deletedAt + SOFT_DELETE_DAYS * DAY_MS).toISOString();
  return json;
}

function poolJson(pool: StoredPool, typed: boolean): Json {
  const json = lifecycleJson(pool);
  json.mode = "FEDERATION_ONLY";
  return typed ? { "@type": POOL_TYPE, ...json } : json;
}

function providerJson(provider: StoredProvider, typed: boolean): Json {
  const json = lifecycleJson(provider);
  json.attributeMapping = { ...provider.attributeMapping };
  if (provider.attributeCondition !== "") json.attributeCondition = provider.attributeCondition;
  const oidc: Json = { issuerUri: provider.oidc.issuerUri };
  if (provider.oidc.allowedAudiences.length > 0) oidc.allowedAudiences = [...provider.oidc.allowedAudiences];
  if (provider.oidc.jwksJson !== "") oidc.jwksJson = provider.oidc.jwksJson;
  json.oidc = oidc;
  return typed ? { "@type": PROVIDER_TYPE, ...json } : json;
}

/** Builds a list response. proto3 JSON leaves out an empty list, so the field is absent then. */
function listJson(field: string, items: Json[], nextPageToken: string | undefined): Json {
  const json: Json = {};
  if (items.length > 0) json[field] = items;
  if (nextPageToken !== undefined) json.nextPageToken = nextPageToken;
  return json;
}
