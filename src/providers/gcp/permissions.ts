/** Checks of an identity's permissions against the project's permission catalog. */

import type { GcpIdentity } from "../../config/model.js";
import type { CustomRoleSupport } from "./types.js";

/** Google's limit on the permissions of one custom role. */
export const MAX_ROLE_PERMISSIONS = 3000;

export interface PermissionCheck {
  /** Reasons a custom role cannot contain the permissions, one sentence each, or none when it can. */
  errors: string[];
  /** Permissions that custom roles support only in TESTING: Google may change or remove them. */
  testing: string[];
}

/**
 * Checks `permissions` against the catalog of `queryTestablePermissions` for the project.
 * A permission missing from the catalog does not exist, or can be granted only at
 * organization or folder level; NOT_SUPPORTED ones cannot be in custom roles at all.
 * An empty catalog means Google returned none, and the check is skipped so that Google
 * itself rejects what it does not accept.
 */
export function checkPermissions(projectId: string, permissions: readonly string[], catalog: ReadonlyMap<string, CustomRoleSupport>): PermissionCheck {
  const errors: string[] = [];
  const testing: string[] = [];
  if (permissions.length > MAX_ROLE_PERMISSIONS) {
    errors.push(`lists ${permissions.length} permissions, but a custom role holds at most ${MAX_ROLE_PERMISSIONS}`);
  }
  if (catalog.size === 0) return { errors, testing };

  for (const permission of permissions) {
    const support = catalog.get(permission);
    if (support === undefined) {
      errors.push(`permission ${permission} is not testable on project ${projectId}: it does not exist, or it can only be granted at organization or folder level`);
    } else if (support === "NOT_SUPPORTED") {
      errors.push(`permission ${permission} cannot be used in custom roles (its customRolesSupportLevel is NOT_SUPPORTED); remove it, and grant it outside wid with a predefined role if it is needed`);
    } else if (support === "TESTING") {
      testing.push(permission);
    }
  }
  return { errors, testing };
}

/** Formats the file position of an identity's permissions as FILE:LINE:COLUMN. */
export function permissionsLocation(identity: GcpIdentity): string {
  const source = identity.permissionsSource;
  return `${source.file}:${source.line}:${source.column}`;
}
