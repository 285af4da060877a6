import type { Scope, Workload } from "../config/model.js";

/**
 * Workloads indexed by project and by tag, so that an identity's available workloads
 * are found from its scope without scanning every workload. Workloads are numbered by
 * their position in {@link WorkloadIndex.all}, so callers can keep per-workload data in
 * arrays instead of maps.
 */
export class WorkloadIndex {
  readonly all: readonly Workload[];
  /** Positions of all workloads, returned for a scope of every project and no tag restriction. */
  private readonly allPositions: readonly number[];
  private readonly byProject = new Map<string, number[]>();
  private readonly byTag = new Map<string, number[]>();
  /** Positions by project, then by tag: the workloads of a project that have a tag. */
  private readonly byProjectTag = new Map<string, Map<string, number[]>>();
  private readonly tagSets: ReadonlySet<string>[] = [];

  constructor(workloads: Iterable<Workload>) {
    this.all = [...workloads];
    this.allPositions = this.all.map((_, position) => position);
    this.all.forEach((workload, position) => {
      appendTo(this.byProject, workload.project, position);
      let projectTags = this.byProjectTag.get(workload.project);
      if (projectTags === undefined) {
        projectTags = new Map();
        this.byProjectTag.set(workload.project, projectTags);
      }
      for (const tag of workload.tags) {
        appendTo(this.byTag, tag, position);
        appendTo(projectTags, tag, position);
      }
      this.tagSets.push(new Set(workload.tags));
    });
  }

  /** Returns every workload that both restrictions of `scope` admit, each once. */
  available(scope: Scope): Workload[] {
    return this.availablePositions(scope).map((position) => this.all[position] as Workload);
  }

  /**
   * Returns the positions in {@link all} of every workload that both restrictions of
   * `scope` admit, each once. Do not modify the returned list.
   */
  availablePositions(scope: Scope): readonly number[] {
    if (scope.projects === undefined) return [];
    if (scope.projects === "*" && scope.tags === undefined) return this.allPositions;

    // Project buckets are disjoint, and the schema keeps project and tag lists free of duplicates.
    const result: number[] = [];
    if (scope.projects === "*") {
      this.collect(this.byTag, scope, result);
    } else if (scope.tags === undefined) {
      for (const project of scope.projects) appendAll(result, this.byProject.get(project));
    } else {
      for (const project of scope.projects) {
        const projectTags = this.byProjectTag.get(project);
        if (projectTags !== undefined) this.collect(projectTags, scope, result);
      }
    }
    return result;
  }

  /** Appends the positions in `buckets` (by tag) that the tag restriction of `scope` admits, each once. */
  private collect(buckets: ReadonlyMap<string, readonly number[]>, scope: Scope, result: number[]): void {
    const tags = scope.tags ?? [];
    if (tags.length === 1) {
      appendAll(result, buckets.get(tags[0] ?? ""));
      return;
    }
    if (scope.matchAllTags) {
      // Every match has every tag, so the smallest tag bucket contains them all.
      for (const position of smallest(tags.map((tag) => buckets.get(tag) ?? []))) {
        if (this.tagsAdmitAt(scope, position)) result.push(position);
      }
      return;
    }
    const seen = new Set<number>();
    for (const tag of tags) {
      for (const position of buckets.get(tag) ?? []) {
        if (!seen.has(position)) {
          seen.add(position);
          result.push(position);
        }
      }
    }
  }

  /** Whether the tag restriction of `scope` admits `workload`. */
  tagsAdmit(scope: Scope, workload: Workload): boolean {
    return tagsAdmit(scope, workload);
  }

  /** Returns whether the workload at `position` has every tag of `scope`. */
  private tagsAdmitAt(scope: Scope, position: number): boolean {
    const tags = this.tagSets[position];
    if (tags === undefined) return false;
    for (const tag of scope.tags ?? []) if (!tags.has(tag)) return false;
    return true;
  }
}

/** Whether the project restriction of `scope` admits a workload of `project`. */
export function projectAdmits(scope: Scope, project: string): boolean {
  if (scope.projects === undefined) return false;
  return scope.projects === "*" || scope.projects.includes(project);
}

/** Tests whether the tag restriction of `scope` admits `workload`. */
export function tagsAdmit(scope: Scope, workload: Workload): boolean {
  if (scope.tags === undefined) return true;
  const tags = new Set(workload.tags);
  return scope.matchAllTags ? scope.tags.every((tag) => tags.has(tag)) : scope.tags.some((tag) => tags.has(tag));
}

/** Tests whether both restrictions of `scope` admit `workload`, so that the identity is available to it. */
export function scopeAdmits(scope: Scope, workload: Workload): boolean {
  return projectAdmits(scope, workload.project) && tagsAdmit(scope, workload);
}

function appendTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const bucket = map.get(key);
  if (bucket === undefined) map.set(key, [value]);
  else bucket.push(value);
}

/** Appends every item of `items` to `target`; unlike `push(...items)`, any length works. */
function appendAll<T>(target: T[], items: readonly T[] | undefined): void {
  for (const item of items ?? []) target.push(item);
}

function smallest<T>(lists: readonly (readonly T[])[]): readonly T[] {
  let best: readonly T[] = [];
  let bestLength = Number.POSITIVE_INFINITY;
  for (const list of lists) {
    if (list.length < bestLength) {
      best = list;
      bestLength = list.length;
    }
  }
  return best;
}
