/**
 * Project custom roles: synchronous create, get, list, patch, delete and undelete, with
 * soft delete, ID reservation, the per-project quota and the permission catalog.
 */

import { GoogleApiError, invalid, notFound } from "./errors.js";
import type { PermissionCatalog } from "./permissions.js";
import type { FakeRequest } from "./request.js";
import { optionalRecord, optionalString, optionalStringList, pageSize, paginate, parseUpdateMask } from "./request.js";
import type { FakeState, ProjectState, StoredRole } from "./state.js";

const ROLE_ID_PATTERN = /^[a-zA-Z0-9_.]{3,64}$/;
const ROLE_MASK = ["title", "description", "includedPermissions", "stage"];
const STAGES = ["ALPHA", "BETA", "GA", "DEPRECATED", "DISABLED", "EAP"];
/** Documented limit on the permissions of one custom role. */
const MAX_PERMISSIONS = 3000;
const MAX_TITLE_BYTES = 100;
// NOTE: Google documents no description limit on roles; 256 bytes matches pools and providers.
const MAX_DESCRIPTION_BYTES = 256;

type Json = Record<string, unknown>;

interface RoleFields {
  title: string;
  description: string;
  includedPermissions: string[];
  stage: string;
}

export class RoleHandlers {
  constructor(
    private readonly state: FakeState,
    private readonly catalog: PermissionCatalog,
    private readonly quota: () => number,
  ) {}

  create(request: FakeRequest): Json {
    const project = this.state.project(request.params.project ?? "", "iam.roles.create");
    const roleId = optionalString(request.body, "roleId") ?? "";
    if (!ROLE_ID_PATTERN.test(roleId)) throw invalid(`The role_id ${JSON.stringify(roleId)} is invalid: use 3 to 64 characters of [a-zA-Z0-9_.].`);
    const existing = project.roles.get(roleId);
    if (existing !== undefined && existing.deleted) {
      throw new GoogleApiError("FAILED_PRECONDITION", `You can't create a role_id (${roleId}) which has been marked for deletion.`);
    }
    if (existing !== undefined) throw new GoogleApiError("ALREADY_EXISTS", `A role named ${roleId} in projects/${project.project.projectId} already exists.`);
    if (project.roles.size >= this.quota()) {
      throw new GoogleApiError("RESOURCE_EXHAUSTED", `Maximum number of roles reached. Maximum is: ${this.quota()}`, "RESOURCE_EXHAUSTED");
    }

    const fields = this.fields(optionalRecord(request.body, "role") ?? {}, ROLE_MASK);
    const role: StoredRole = {
      roleId,
      name: `projects/${project.project.projectId}/roles/${roleId}`,
      title: fields.title,
      description: fields.description,
      includedPermissions: fields.includedPermissions,
      stage: fields.stage === "" ? "ALPHA" : fields.stage,
      etag: this.state.nextEtag(),
      deleted: false,
      purging: false,
    };
    project.roles.set(roleId, role);
    return roleJson(role, true);
  }

  get(request: FakeRequest): Json {
    const project = this.state.project(request.params.project ?? "", "iam.roles.get");
    return roleJson(this.role(project, request.params.role ?? ""), true);
  }

  list(request: FakeRequest): Json {
    const project = this.state.project(request.params.project ?? "", "iam.roles.list");
    const showDeleted = request.query.get("showDeleted") === "true";
    const full = request.query.get("view") === "FULL";
    const roles = [...project.roles.values()].filter((role) => !role.purging && (showDeleted || !role.deleted));
    roles.sort((a, b) => (a.name < b.name ? -1 : 1));
    const { page, nextPageToken } = paginate(roles, request.query.get("pageToken"), pageSize(request.query, 300, 1000));
    const json: Json = {};
    if (page.length > 0) json.roles = page.map((role) => roleJson(role, full));
    if (nextPageToken !== undefined) json.nextPageToken = nextPageToken;
    return json;
  }

  patch(request: FakeRequest): Json {
    const project = this.state.project(request.params.project ?? "", "iam.roles.update");
    const role = this.role(project, request.params.role ?? "");
    if (role.deleted) throw new GoogleApiError("FAILED_PRECONDITION", `You can't update role_id (${role.roleId}) as it is deleted; undelete it first.`);
    this.checkEtag(role, optionalString(request.body, "etag"));
    const mask = parseUpdateMask(request.query.get("updateMask"), ROLE_MASK, false) ?? ROLE_MASK;
    const fields = this.fields(request.body, mask);
    if (mask.includes("title")) role.title = fields.title;
    if (mask.includes("description")) role.description = fields.description;
    if (mask.includes("includedPermissions")) role.includedPermissions = fields.includedPermissions;
    if (mask.includes("stage")) role.stage = fields.stage === "" ? "ALPHA" : fields.stage;
    role.etag = this.state.nextEtag();
    return roleJson(role, true);
  }

  delete(request: FakeRequest): Json {
    const project = this.state.project(request.params.project ?? "", "iam.roles.delete");
    const role = this.role(project, request.params.role ?? "");
    if (role.deleted) throw new GoogleApiError("FAILED_PRECONDITION", `You can't delete role_id (${role.name}) as it is already deleted.`);
    this.checkEtag(role, request.query.get("etag") ?? undefined);
    role.deleted = true;
    role.deletedAt = Date.now();
    role.etag = this.state.nextEtag();
    return roleJson(role, true);
  }

  undelete(request: FakeRequest): Json {
    const project = this.state.project(request.params.project ?? "", "iam.roles.undelete");
    const role = this.role(project, request.params.role ?? "");
    if (!role.deleted) throw new GoogleApiError("FAILED_PRECONDITION", `You can't undelete role_id (${role.name}) as it is not deleted.`);
    this.checkEtag(role, optionalString(request.body, "etag"));
    role.deleted = false;
    delete role.deletedAt;
    role.etag = this.state.nextEtag();
    return roleJson(role, true);
  }

  /** Returns a role that get can see: it exists and is not past its undelete window. */
  private role(project: ProjectState, roleId: string): StoredRole {
    const role = project.roles.get(roleId);
    if (role === undefined || role.purging) throw notFound(`projects/${project.project.projectId}/roles/${roleId}`);
    return role;
  }

  private checkEtag(role: StoredRole, etag: string | undefined): void {
    if (etag !== undefined && etag !== "" && etag !== role.etag) {
      throw new GoogleApiError("ABORTED", `The etag of ${role.name} does not match its current etag; read the role again and retry.`);
    }
  }

  private fields(body: Record<string, unknown>, mask: readonly string[]): RoleFields {
    const title = mask.includes("title") ? (optionalString(body, "title") ?? "") : "";
    if (Buffer.byteLength(title) > MAX_TITLE_BYTES) throw invalid(`The role title must be at most ${MAX_TITLE_BYTES} bytes.`);
    const description = mask.includes("description") ? (optionalString(body, "description") ?? "") : "";
    if (Buffer.byteLength(description) > MAX_DESCRIPTION_BYTES) throw invalid(`The role description must be at most ${MAX_DESCRIPTION_BYTES} bytes.`);
    const permissions = mask.includes("includedPermissions") ? [...new Set(optionalStringList(body, "includedPermissions") ?? [])].sort() : [];
    if (permissions.length > MAX_PERMISSIONS) throw invalid(`A custom role can hold at most ${MAX_PERMISSIONS} permissions.`);
    this.catalog.checkForCustomRole(permissions);
    const stage = mask.includes("stage") ? (optionalString(body, "stage") ?? "") : "";
    if (stage !== "" && !STAGES.includes(stage)) throw invalid(`Invalid role stage ${JSON.stringify(stage)}.`);
    return { title, description, includedPermissions: permissions, stage };
  }
}

/** Renders the Role JSON. The BASIC view leaves out permissions, and ALPHA, the default stage, is omitted. */
function roleJson(role: StoredRole, full: boolean): Json {
  const json: Json = { name: role.name };
  if (role.title !== "") json.title = role.title;
  if (role.description !== "") json.description = role.description;
  if (full && role.includedPermissions.length > 0) json.includedPermissions = [...role.includedPermissions];
  if (role.stage !== "ALPHA") json.stage = role.stage;
  json.etag = role.etag;
  if (role.deleted) json.deleted = true;
  return json;
}
