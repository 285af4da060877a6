/**
 * The permission catalog: which permissions exist, and whether custom roles may hold them.
 * `permissions.queryTestablePermissions` pages through it for a project.
 */

import { invalid } from "./errors.js";
import type { FakeRequest } from "./request.js";
import { optionalString, paginate } from "./request.js";
import type { FakeState } from "./state.js";

export type SupportLevel = "SUPPORTED" | "TESTING" | "NOT_SUPPORTED";

export interface CatalogPermission {
  name: string;
  level: SupportLevel;
}

/**
 * A small synthetic catalog. The names are real Google Cloud permissions, but the support
 * levels of the TESTING and NOT_SUPPORTED entries are chosen for tests, not copied from Google.
 */
export const DEFAULT_CATALOG: readonly CatalogPermission[] = [
  ...[
    "bigquery.datasets.get",
    "bigquery.jobs.create",
    "bigquery.tables.get",
    "bigquery.tables.getData",
    "bigquery.tables.list",
    "cloudsql.instances.connect",
    "cloudsql.instances.get",
    "logging.logEntries.create",
    "monitoring.timeSeries.create",
    "pubsub.subscriptions.consume",
    "pubsub.topics.publish",
    "resourcemanager.projects.get",
    "secretmanager.versions.access",
    "storage.buckets.get",
    "storage.buckets.list",
    "storage.objects.create",
    "storage.objects.delete",
    "storage.objects.get",
    "storage.objects.list",
  ].map((name): CatalogPermission => ({ name, level: "SUPPORTED" })),
  { name: "aiplatform.endpoints.predict", level: "TESTING" },
  { name: "iam.serviceAccounts.getAccessToken", level: "NOT_SUPPORTED" },
  { name: "resourcemanager.projects.setIamPolicy", level: "NOT_SUPPORTED" },
];

export class PermissionCatalog {
  private readonly entries = new Map<string, SupportLevel>();

  constructor(permissions: readonly CatalogPermission[]) {
    for (const permission of permissions) this.entries.set(permission.name, permission.level);
  }

  level(name: string): SupportLevel | undefined {
    return this.entries.get(name);
  }

  add(permission: CatalogPermission): void {
    this.entries.set(permission.name, permission.level);
  }

  /** Throws INVALID_ARGUMENT when a custom role may not hold one of the permissions. */
  checkForCustomRole(permissions: readonly string[]): void {
    for (const name of permissions) {
      const level = this.entries.get(name);
      if (level === undefined) throw invalid(`Permission ${name} is not valid.`);
      if (level === "NOT_SUPPORTED") throw invalid(`Permission ${name} is not supported in custom roles.`);
    }
  }

  /**
   * Answers `permissions.queryTestablePermissions`: the catalog in name order, 100 per page by
   * default and at most 1,000. SUPPORTED is the proto default, so it is left out of the JSON.
   */
  queryTestable(request: FakeRequest, state: FakeState): Record<string, unknown> {
    const resource = optionalString(request.body, "fullResourceName") ?? "";
    const match = /^\/\/cloudresourcemanager\.googleapis\.com\/projects\/([^/]+)$/.exec(resource);
    if (match?.[1] === undefined) throw invalid(`Invalid full resource name ${JSON.stringify(resource)}; expected //cloudresourcemanager.googleapis.com/projects/PROJECT.`);
    state.project(match[1], "iam.permissions.list");

    const requested = request.body.pageSize;
    const size = typeof requested === "number" && requested > 0 ? Math.min(requested, 1000) : 100;
    const token = optionalString(request.body, "pageToken") ?? null;
    const names = [...this.entries.keys()].sort();
    const { page, nextPageToken } = paginate(names, token, size);
    const permissions = page.map((name) => {
      const level = this.entries.get(name);
      const json: Record<string, unknown> = { name, title: name, stage: "GA" };
      if (level !== "SUPPORTED") json.customRolesSupportLevel = level;
      return json;
    });
    return nextPageToken === undefined ? { permissions } : { permissions, nextPageToken };
  }
}
