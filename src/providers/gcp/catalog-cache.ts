import type { CustomRoleSupport } from "./types.js";

/** How long a project's permission catalog is reused: one hour. */
export const DEFAULT_CATALOG_TTL_MS = 3_600_000;

/**
 * Permission catalogs by project, reused for a while. The catalog is large (thousands of
 * permissions, several pages) and changes rarely, so a daemon that reconciles every few
 * minutes reads it about once an hour instead of on every run.
 */
export class PermissionCatalogCache {
  private readonly entries = new Map<string, { expiresAt: number; catalog: Promise<ReadonlyMap<string, CustomRoleSupport>> }>();

  constructor(private readonly ttlMs: number = DEFAULT_CATALOG_TTL_MS) {}

  /** Returns the cached catalog of `projectId`, or loads it with `load` and caches it when that succeeds. */
  get(projectId: string, load: () => Promise<ReadonlyMap<string, CustomRoleSupport>>): Promise<ReadonlyMap<string, CustomRoleSupport>> {
    const cached = this.entries.get(projectId);
    if (cached !== undefined && cached.expiresAt > Date.now()) return cached.catalog;
    const catalog = load();
    this.entries.set(projectId, { expiresAt: Date.now() + this.ttlMs, catalog });
    catalog.catch(() => this.entries.delete(projectId));
    return catalog;
  }
}
