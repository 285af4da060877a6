import { compareBytes } from "../../src/text/order.js";
import type { ConfigModel, InvalidIdentity, Provider, Scope, Workload, WorkloadIdentity } from "../../src/config/model.js";
import { workloadKey } from "../../src/config/model.js";

const SOURCE = { file: "test.yaml", line: 1, column: 1 };

/** Options of {@link identity}; scope fields mean what they mean in a WorkloadIdentity file. */
export interface IdentityOptions {
  provider?: Provider;
  projects?: Scope["projects"];
  tags?: readonly string[];
  matchAllTags?: boolean;
  install?: boolean;
}

/** Builds a valid identity with a small policy or permission list. Default: AWS, `install: true`, no project. */
export function identity(name: string, options: IdentityOptions = {}): WorkloadIdentity {
  const provider = options.provider ?? "aws";
  const base = {
    name,
    integration: provider === "aws" ? "aws-prod" : "gcp-prod",
    install: options.install ?? true,
    scope: { projects: options.projects, tags: options.tags, matchAllTags: options.matchAllTags ?? false },
    source: SOURCE,
    permissionsSource: SOURCE,
  };
  if (provider === "gcp") return { ...base, provider, gcp: { permissions: ["storage.objects.get"] } };
  return { ...base, provider, aws: { policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] } } };
}

/** Builds a workload from `PROJECT/NAME` and its tags. */
export function workload(key: string, tags: readonly string[] = []): Workload {
  const [project = "", name = ""] = key.split("/");
  return { project, name, type: "service", tags, source: SOURCE };
}

/** Builds a model with one AWS and one GCP integration, sorting identities and workloads as the loader does. */
export function modelOf(parts: { identities?: readonly WorkloadIdentity[]; workloads?: readonly Workload[]; invalid?: readonly InvalidIdentity[] }): ConfigModel {
  const sorted = <T>(entries: [string, T][]): Map<string, T> => new Map(entries.sort(([a], [b]) => compareBytes(a, b)));
  return {
    settings: { issuer: "https://oidc.example.com", statusFile: ".wid/status.yaml", prune: false, tokenLifetimeSeconds: 3600, suspend: false },
    integrations: new Map([
      ["aws-prod", { name: "aws-prod", provider: "aws", aws: { accountId: "123456789012", rolePath: "/workload-identity/", roleNamePrefix: "wid-" }, source: SOURCE }],
      ["gcp-prod", { name: "gcp-prod", provider: "gcp", gcp: { projectId: "acme-prod", projectNumber: "481516234200", poolId: "wid-pool", providerId: "wid-issuer", uploadJwks: false }, source: SOURCE }],
    ]),
    identities: sorted((parts.identities ?? []).map((item) => [item.name, item])),
    invalidIdentities: sorted((parts.invalid ?? []).map((item) => [item.name, item])),
    invalidIntegrations: new Map(),
    workloads: sorted((parts.workloads ?? []).map((item) => [workloadKey(item), item])),
    unreadableFiles: [],
    filesWithErrors: [],
    files: [],
  };
}
