import type { ConfigModel, InvalidIdentity, Provider, Scope, Workload } from "../config/model.js";
import { invalidIdentityCause, PROVIDERS } from "../config/model.js";
import { projectAdmits, WorkloadIndex } from "./available.js";
import type { FrozenSelection, InstalledCheck } from "./resolve.js";

/** One identity's evaluation against one workload. */
export interface CandidateExplanation {
  identity: string;
  /** Both restrictions admit the workload. */
  available: boolean;
  /** Available, and installed or marked `install: true`. */
  candidate: boolean;
  /** Each restriction and selection step, in order, as sentences. */
  reasons: string[];
}

export interface ProviderExplanation {
  selected: string | null;
  candidates: CandidateExplanation[];
}

/** The `wid explain --format json` contract. */
export interface Explanation {
  workload: string;
  providers: Partial<Record<Provider, ProviderExplanation>>;
}

/**
 * Explains, for every identity of every provider, whether the workload gets it and
 * why: the project restriction, the tag restriction, the candidate rule, and the
 * selection by byte order of names. Invalid identities are listed with the file to fix,
 * under every provider when their provider cannot be read.
 *
 * `frozen` contains what the last status recorded for this workload about identities
 * that are invalid now, as `resolveSelections` receives it. A frozen selection stays
 * selected, and the valid candidates are shadowed by it. An invalid identity's
 * `available` and `candidate` flags are those the last status implies: true for a
 * selected or shadowed one, `available` only for a not installed one, and false when
 * the last status does not name it for this workload. Default: none.
 */
export function explainWorkload(model: ConfigModel, workload: Workload, isInstalled: InstalledCheck, frozen: Partial<Record<Provider, FrozenSelection>> = {}): Explanation {
  const index = new WorkloadIndex([workload]);
  const providers: Partial<Record<Provider, ProviderExplanation>> = {};

  for (const provider of PROVIDERS) {
    const candidates: CandidateExplanation[] = [];
    const last = frozen[provider];
    const frozenSelection = last?.selected;
    let selected: string | null = frozenSelection ?? null;

    for (const identity of model.identities.values()) {
      if (identity.provider !== provider) continue;
      const reasons = [describeProjects(identity.scope, workload.project), describeTags(identity.scope, workload, index)];
      const available = projectAdmits(identity.scope, workload.project) && index.tagsAdmit(identity.scope, workload);
      const installed = isInstalled(identity.name);
      const candidate = available && (identity.install || installed);

      if (!available) {
        reasons.push("not available, so not a candidate");
      } else if (!candidate) {
        reasons.push("available, but not a candidate: install is false and the identity is not installed");
      } else if (selected === null) {
        selected = identity.name;
        reasons.push(`candidate (${installed ? "installed" : "install: true"}); selected as the first candidate in byte order of names`);
      } else if (selected === frozenSelection) {
        reasons.push(`candidate, but shadowed by ${frozenSelection}, which keeps its last selection while it is invalid`);
      } else {
        reasons.push(`candidate, but shadowed by ${selected}, which comes first in byte order of names`);
      }
      candidates.push({ identity: identity.name, available, candidate, reasons });
    }

    for (const invalid of model.invalidIdentities.values()) {
      if (invalid.provider !== undefined && invalid.provider !== provider) continue;
      candidates.push(explainInvalid(invalid, last));
    }

    if (candidates.length > 0) providers[provider] = { selected, candidates };
  }

  return { workload: `${workload.project}/${workload.name}`, providers };
}

/** Explains an invalid identity: why it is invalid, and what the last status recorded for the workload. */
function explainInvalid(invalid: InvalidIdentity, last: FrozenSelection | undefined): CandidateExplanation {
  const unknown = invalid.provider === undefined ? "its provider and scope are unknown" : "its scope is unknown";
  const reasons = [`invalid: ${invalidIdentityCause(invalid)}, so ${invalid.invalidIntegration === undefined ? unknown : "its scope is not evaluated"}; run wid validate`];
  const until = invalid.invalidIntegration === undefined ? "the file is fixed" : "the integration is fixed";
  if (invalid.name === last?.selected) {
    reasons.push(`selected: the last status maps this workload to it, and the mapping is kept until ${until}`);
    return { identity: invalid.name, available: true, candidate: true, reasons };
  }
  if (last?.shadowed?.includes(invalid.name) === true) {
    reasons.push(`shadowed: the last status lists it as a shadowed candidate for this workload, which is kept until ${until}`);
    return { identity: invalid.name, available: true, candidate: true, reasons };
  }
  if (last?.notInstalled?.includes(invalid.name) === true) {
    reasons.push(`available, but not a candidate: the last status lists it as matching but not installed for this workload, which is kept until ${until}`);
    return { identity: invalid.name, available: true, candidate: false, reasons };
  }
  return { identity: invalid.name, available: false, candidate: false, reasons };
}

function describeProjects(scope: Scope, project: string): string {
  if (scope.projects === undefined) return "project restriction: fails, because scope.projects is omitted, which admits no project";
  if (scope.projects === "*") return 'project restriction: passes, because scope.projects is "*"';
  return scope.projects.includes(project)
    ? `project restriction: passes, because ${project} is listed in scope.projects`
    : `project restriction: fails, because ${project} is not listed in scope.projects [${scope.projects.join(", ")}]`;
}

function describeTags(scope: Scope, workload: Workload, index: WorkloadIndex): string {
  if (scope.tags === undefined) return "tag restriction: passes, because scope.tags is omitted";
  const rule = scope.matchAllTags ? "all of" : "any of";
  const has = workload.tags.length === 0 ? "no tags" : `tags [${workload.tags.join(", ")}]`;
  const verdict = index.tagsAdmit(scope, workload) ? "passes" : "fails";
  return `tag restriction: ${verdict}, because the workload has ${has} and scope requires ${rule} [${scope.tags.join(", ")}]`;
}
