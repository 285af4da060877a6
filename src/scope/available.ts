import type { Scope, Workload } from "../config/model.js";

/**
 * Workloads indexed by project and by tag, so that an identity's available workloads
 * are found from its scope without scanning every workload.
 */
export class WorkloadIndex {
  readonly all: readonly Workload[];
  private readonly byProject = new Map<string, Workload[]>();
  private readonly byTag = new Map<string, Workload[]>();
  private readonly tagSets = new Map<Workload, ReadonlySet<string>>();

  constructor(workloads: Iterable<Workload>) {
    this.all = [...workloads];
    for (const workload of this.all) {
      appendTo(this.byProject, workload.project, workload);
      for (const tag of workload.tags) appendTo(this.byTag, tag, workload);
      this.tagSets.set(workload, new Set(workload.tags));
    }
  }

  /** Returns every workload that both restrictions of `scope` admit, each once. */
  available(scope: Scope): Workload[] {
    if (scope.projects === undefined) return [];

    let pool: Iterable<Workload>;
    if (scope.projects !== "*") {
      pool = scope.projects.flatMap((project) => this.byProject.get(project) ?? []);
    } else if (scope.tags === undefined) {
      return [...this.all];
    } else if (scope.matchAllTags) {
      // Every match has every tag, so the smallest tag bucket holds them all.
      pool = smallest(scope.tags.map((tag) => this.byTag.get(tag) ?? []));
    } else {
      pool = new Set(scope.tags.flatMap((tag) => this.byTag.get(tag) ?? []));
    }

    const result: Workload[] = [];
    for (const workload of pool) {
      if (this.tagsAdmit(scope, workload)) result.push(workload);
    }
    return result;
  }

  /** Whether the tag restriction of `scope` admits `workload`. */
  tagsAdmit(scope: Scope, workload: Workload): boolean {
    if (scope.tags === undefined) return true;
    const tags = this.tagSets.get(workload) ?? new Set(workload.tags);
    return scope.matchAllTags ? scope.tags.every((tag) => tags.has(tag)) : scope.tags.some((tag) => tags.has(tag));
  }
}

/** Whether the project restriction of `scope` admits a workload of `project`. */
export function projectAdmits(scope: Scope, project: string): boolean {
  if (scope.projects === undefined) return false;
  return scope.projects === "*" || scope.projects.includes(project);
}

function appendTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const bucket = map.get(key);
  if (bucket === undefined) map.set(key, [value]);
  else bucket.push(value);
}

function smallest<T>(lists: readonly T[][]): T[] {
  let best: T[] = [];
  let bestLength = Number.POSITIVE_INFINITY;
  for (const list of lists) {
    if (list.length < bestLength) {
      best = list;
      bestLength = list.length;
    }
  }
  return best;
}
