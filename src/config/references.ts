import type { Diagnostic } from "./diagnostics.js";
import type { DocumentResult } from "./documents.js";
import { compareBytes } from "../text/order.js";
import type { ConfigModel, Integration, InvalidIdentity, Settings, SourceLocation, Workload, WorkloadIdentity } from "./model.js";
import { workloadKey } from "./model.js";
import { awsRoleName, MAX_AWS_ROLE_NAME_LENGTH } from "./names.js";
import { didYouMean } from "./suggest.js";
import { quote } from "./quote.js";

/**
 * Assembles the model from the documents' results and checks the rules that span
 * documents: one Settings, unique names, identity references, and role names that fit IAM's
 * length limit and are unique in their account.
 * An identity that breaks one of them becomes invalid: it keeps its last installed state.
 */
export function assembleModel(results: readonly DocumentResult[], files: readonly string[], unreadableFiles: readonly string[], diagnostics: Diagnostic[]): ConfigModel {
  const error = (source: SourceLocation, code: string, message: string, field?: string): void => {
    diagnostics.push({ ...source, severity: "error", code, message: field === undefined ? message : `${field}: ${message}`, ...(field !== undefined ? { field } : {}) });
  };

  let settings: Settings | undefined;
  // An invalid Settings document has its own errors; it is not also reported as missing.
  let invalidSettings = false;
  const integrations = new Map<string, Integration>();
  const invalidIntegrations = new Map<string, string>();
  const identities = new Map<string, WorkloadIdentity>();
  const invalidIdentities = new Map<string, InvalidIdentity>();
  const workloads = new Map<string, Workload>();
  const identitySources = new Map<string, SourceLocation>();
  const integrationSources = new Map<string, SourceLocation>();

  for (const result of results) {
    switch (result.kind) {
      case "Settings":
        if (settings?.source !== undefined) {
          error(result.settings.source ?? settings.source, "settings-duplicate", `a second Settings document; only one is allowed, and the first is at ${at(settings.source)}`);
        } else {
          settings = result.settings;
        }
        break;
      case "Integration": {
        const first = integrationSources.get(result.integration.name);
        if (first !== undefined) {
          error(result.integration.source, "duplicate-name", `Integration ${quote(result.integration.name)} is also defined at ${at(first)}; integration names must be unique`, "metadata.name");
          integrations.delete(result.integration.name);
          invalidIntegrations.set(result.integration.name, result.integration.source.file);
        } else {
          integrationSources.set(result.integration.name, result.integration.source);
          integrations.set(result.integration.name, result.integration);
        }
        break;
      }
      case "InvalidIntegration":
        if (!invalidIntegrations.has(result.name)) invalidIntegrations.set(result.name, result.file);
        break;
      case "WorkloadIdentity":
      case "InvalidIdentity": {
        const identity = result.identity;
        const first = identitySources.get(identity.name);
        if (first !== undefined) {
          error(identity.source, "duplicate-name", `WorkloadIdentity ${quote(identity.name)} is also defined at ${at(first)}; identity names must be unique across the repository`, "metadata.name");
          const existing = identities.get(identity.name);
          identities.delete(identity.name);
          invalidIdentities.set(identity.name, toInvalid(existing ?? identity));
          break;
        }
        identitySources.set(identity.name, identity.source);
        if (result.kind === "WorkloadIdentity") identities.set(identity.name, result.identity);
        else invalidIdentities.set(identity.name, result.identity);
        break;
      }
      case "Workload": {
        const key = workloadKey(result.workload);
        const existing = workloads.get(key);
        if (existing !== undefined) {
          error(result.workload.source, "duplicate-name", `Workload ${quote(key)} is also defined at ${at(existing.source)}; workload names must be unique within a project`, "metadata.name");
        } else {
          workloads.set(key, result.workload);
        }
        break;
      }
      case "InvalidSettings":
        invalidSettings = true;
        break;
      case "Unidentified":
      case "Skipped":
        break;
    }
  }

  if (settings === undefined && !invalidSettings && (identitySources.size > 0 || integrationSources.size > 0)) {
    const first = [...identitySources.values(), ...integrationSources.values()][0];
    if (first !== undefined) {
      const message =
        unreadableFiles.length > 0
          ? `the repository has no readable Settings document, and ${unreadableFiles.join(", ")} cannot be read and may contain it; fix the errors reported there, or add a Settings document with spec.issuer`
          : "the repository has no Settings document; add one with spec.issuer, the URL of wid's OIDC issuer";
      // The error is reported on a file that may contain the Settings document, when there is one.
      const file = unreadableFiles.find((entry) => !entry.endsWith("/")) ?? first.file;
      error({ file, line: 1, column: 1 }, "settings-missing", message);
    }
  }

  for (const identity of [...identities.values()]) {
    const integration = integrations.get(identity.integration);
    let problem: string | undefined;
    if (integration === undefined) {
      const invalidFile = invalidIntegrations.get(identity.integration);
      if (invalidFile !== undefined) {
        // The integration's own error is reported; the identity waits for it to be fixed.
        identities.delete(identity.name);
        invalidIdentities.set(identity.name, { ...toInvalid(identity), invalidIntegration: { name: identity.integration, file: invalidFile } });
        continue;
      }
      problem = `names integration ${quote(identity.integration)}, which does not exist${didYouMean(identity.integration, integrations.keys())}; add the Integration or fix the name`;
    } else if (integration.provider !== identity.provider) {
      problem = `names integration ${quote(identity.integration)} of provider ${integration.provider}, but the identity's provider is ${identity.provider}; use an integration of provider ${identity.provider}`;
    } else if (integration.provider === "aws") {
      const roleName = awsRoleName(integration.aws, identity.name);
      if (roleName.length > MAX_AWS_ROLE_NAME_LENGTH) {
        error(
          identity.source,
          "aws-role-name-length",
          `gives role name ${roleName} of ${roleName.length} characters, over the IAM limit of ${MAX_AWS_ROLE_NAME_LENGTH}; shorten the name or the integration's roleNamePrefix`,
          "metadata.name",
        );
        identities.delete(identity.name);
        invalidIdentities.set(identity.name, toInvalid(identity));
        continue;
      }
    }
    if (problem !== undefined) {
      error(identity.source, "identity-integration", problem, "spec.integration");
      identities.delete(identity.name);
      invalidIdentities.set(identity.name, toInvalid(identity));
    }
  }

  for (const identity of sharedRoleNames(identities, integrations, error)) {
    identities.delete(identity.name);
    invalidIdentities.set(identity.name, toInvalid(identity));
  }

  return {
    settings,
    integrations,
    identities: sortByKey(identities),
    invalidIdentities: sortByKey(invalidIdentities),
    invalidIntegrations,
    workloads: sortByKey(workloads),
    unreadableFiles,
    filesWithErrors: [...new Set(diagnostics.filter((diagnostic) => diagnostic.severity === "error").map((diagnostic) => diagnostic.file))].sort(compareBytes),
    files,
  };
}

/**
 * Finds AWS identities whose role names clash: two integrations of one account whose
 * prefixes give two identities the same role name, such as `ml-` with `prod-reader` and
 * `ml-prod-` with `reader`. IAM role names are unique in an account without regard to
 * case, so `ML-a` and `ml-a` clash too. Returns each such identity, with an error that
 * names the others, so that it becomes invalid. Otherwise the two integrations would take
 * the role from each other on every apply, and one identity's tokens could assume the
 * role while it has the other's permissions.
 */
function sharedRoleNames(
  identities: ReadonlyMap<string, WorkloadIdentity>,
  integrations: ReadonlyMap<string, Integration>,
  error: (source: SourceLocation, code: string, message: string, field?: string) => void,
): WorkloadIdentity[] {
  const byRole = new Map<string, { identity: WorkloadIdentity; roleName: string }[]>();
  for (const identity of identities.values()) {
    const integration = integrations.get(identity.integration);
    if (integration?.provider !== "aws") continue;
    const roleName = awsRoleName(integration.aws, identity.name);
    const key = `${integration.aws.accountId}/${roleName.toLowerCase()}`;
    byRole.set(key, [...(byRole.get(key) ?? []), { identity, roleName }]);
  }

  const clashing: WorkloadIdentity[] = [];
  for (const group of byRole.values()) {
    if (group.length < 2) continue;
    for (const { identity, roleName } of group) {
      const others = group
        .filter((other) => other.identity !== identity)
        .map((other) => `identity ${quote(other.identity.name)} of integration ${quote(other.identity.integration)} (${at(other.identity.source)}) as ${other.roleName}`);
      error(
        identity.source,
        "aws-role-name-shared",
        `gives role name ${roleName}, which ${others.join(" and ")} also gets in the same account; IAM role names are unique in an account without regard to case, so change a roleNamePrefix or rename an identity`,
        "metadata.name",
      );
      clashing.push(identity);
    }
  }
  return clashing;
}

function toInvalid(identity: WorkloadIdentity | InvalidIdentity): InvalidIdentity {
  return {
    name: identity.name,
    ...(identity.provider !== undefined ? { provider: identity.provider } : {}),
    ...(identity.integration !== undefined ? { integration: identity.integration } : {}),
    source: identity.source,
  };
}

function sortByKey<T>(map: Map<string, T>): Map<string, T> {
  return new Map([...map.entries()].sort(([a], [b]) => compareBytes(a, b)));
}

function at(source: SourceLocation): string {
  return `${source.file}:${source.line}:${source.column}`;
}
