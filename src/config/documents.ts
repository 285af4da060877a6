import { parsePolicyJson } from "./aws-policy/json-text.js";
import { findTooDeep, NESTING_DEPTH_MESSAGE } from "./depth.js";
import { validateAwsPolicy } from "./aws-policy/validate.js";
import type { Diagnostic, NodePath } from "./diagnostics.js";
import { FindingSink } from "./diagnostics.js";
import { parseDuration } from "./duration.js";
import type { Integration, InvalidIdentity, PolicyDocument, Scope, Settings, SourceLocation, Workload, WorkloadIdentity } from "./model.js";
import { DEFAULT_STATUS_FILE, DEFAULT_TOKEN_LIFETIME_SECONDS } from "./model.js";
import type { DocumentKind } from "./schema.js";
import { DOCUMENT_KINDS, schemas } from "./schema.js";
import { didYouMean } from "./suggest.js";
import { validateIdentityDocument } from "./validate-identity.js";
import { validateIntegrationSpec } from "./validate-integration.js";
import { validateSettingsSpec } from "./validate-settings.js";
import type { ParsedDocument, Position } from "./yaml.js";
import { toDiagnostic } from "./yaml.js";
import { quote } from "./quote.js";
import { isRecord } from "../json/record.js";

export const API_VERSION = "wid/v1";

/**
 * The typed result of one document, or the name of an identity or integration that
 * failed validation.
 * - `Unidentified`: a document with errors that may define an identity whose name
 *   cannot be read (not a mapping, an unknown kind, a WorkloadIdentity without a usable
 *   `metadata.name`). The loader treats its file as unreadable, so that the identity it
 *   may define keeps its state instead of looking removed.
 * - `Skipped`: an invalid document that defines no identity, such as a Workload or an
 *   Integration without a name. Its errors are reported, and it is left out.
 */
export type DocumentResult =
  | { kind: "Settings"; settings: Settings }
  | { kind: "InvalidSettings" }
  | { kind: "Integration"; integration: Integration }
  | { kind: "InvalidIntegration"; name: string; file: string }
  | { kind: "WorkloadIdentity"; identity: WorkloadIdentity }
  | { kind: "InvalidIdentity"; identity: InvalidIdentity }
  | { kind: "Workload"; workload: Workload }
  | { kind: "Unidentified" }
  | { kind: "Skipped" };

/**
 * Maximum number of diagnostics reported for one document. Without it, a document with
 * thousands of unknown keys gives thousands of lines, each positioned by a walk of the
 * document. The findings over the limit are counted in one more diagnostic.
 */
export const MAX_DIAGNOSTICS_PER_DOCUMENT = 100;

/**
 * Validates one document against its kind's schema and semantic rules, and builds its
 * typed object with defaults applied. Findings are appended to `diagnostics`.
 */
export async function buildDocument(document: ParsedDocument, diagnostics: Diagnostic[]): Promise<DocumentResult> {
  const sink = new FindingSink();
  const result = await checkAndBuild(document, sink);

  // Errors first, and at most the limit: each finding's position costs a walk of the document.
  const findings = [...sink.findings.filter((finding) => finding.severity === "error"), ...sink.findings.filter((finding) => finding.severity === "warning")];
  for (const finding of findings.slice(0, MAX_DIAGNOSTICS_PER_DOCUMENT)) diagnostics.push(toDiagnostic(document, finding));
  const hidden = findings.slice(MAX_DIAGNOSTICS_PER_DOCUMENT);
  if (hidden.length > 0) {
    const severity = hidden.some((finding) => finding.severity === "error") ? "error" : "warning";
    const message = `document has ${hidden.length} more problems that are not shown; fix the ones above and validate again`;
    diagnostics.push(toDiagnostic(document, { path: [], severity, code: "document-diagnostics-limit", message }));
  }
  return result;
}

async function checkAndBuild(document: ParsedDocument, sink: FindingSink): Promise<DocumentResult> {
  const value = document.value;
  if (!isRecord(value)) {
    sink.error([], "document-not-mapping", "document must be a mapping with apiVersion, kind, metadata and spec");
    return { kind: "Unidentified" };
  }
  const record = value;

  // Every later check walks the document, so a hostile nesting stops here.
  const tooDeep = findTooDeep(record);
  if (tooDeep !== undefined) {
    sink.error(depthFindingPath(tooDeep), "nesting-depth", NESTING_DEPTH_MESSAGE);
    return invalidResult(record, document);
  }

  if (record.apiVersion !== API_VERSION) {
    const written = record.apiVersion === undefined ? "is missing" : `${quote(record.apiVersion)} is not supported`;
    sink.error(record.apiVersion === undefined ? [] : ["apiVersion"], "document-api-version", `apiVersion ${written}; use apiVersion: ${API_VERSION}`);
    return invalidResult(record, document);
  }
  const kind = record.kind;
  if (!isDocumentKind(kind)) {
    const written = kind === undefined ? "kind is missing" : `unknown kind ${quote(kind)}${didYouMean(String(kind), DOCUMENT_KINDS)}`;
    sink.error(kind === undefined ? [] : ["kind"], "document-kind", `${written}; use one of: ${DOCUMENT_KINDS.join(", ")}`);
    return { kind: "Unidentified" };
  }

  const schemaValid = schemas().validate(kind, record, sink, document.sourceText);
  if (!schemaValid) return invalidResult(record, document);

  const location = (path: NodePath): SourceLocation => lazyLocation(document, path);
  switch (kind) {
    case "Settings": {
      validateSettingsSpec(record.spec as Record<string, unknown>, sink);
      if (sink.hasErrors) return { kind: "InvalidSettings" };
      return { kind: "Settings", settings: buildSettings(record, location([])) };
    }
    case "Integration": {
      validateIntegrationSpec(record.spec as Record<string, unknown>, sink);
      if (sink.hasErrors) return invalidResult(record, document);
      return { kind: "Integration", integration: buildIntegration(record, location(["metadata", "name"])) };
    }
    case "WorkloadIdentity": {
      validateIdentityDocument(record, sink);
      const spec = record.spec as Record<string, unknown>;
      let policy: PolicyDocument | undefined;
      if (spec.provider === "aws") {
        // The schema admits a mapping or a string holding JSON.
        const written = (spec.aws as Record<string, unknown>).policy;
        const policyPath = POLICY_PATH;
        if (typeof written === "string") {
          policy = parsePolicyJson(written, sink, policyPath);
          if (policy !== undefined) await validateAwsPolicy(policy, sink, policyPath, {});
        } else {
          // validateAwsPolicy reports a value that is not a mapping.
          await validateAwsPolicy(written, sink, policyPath, { sourceText: document.sourceText });
          if (isRecord(written)) policy = written;
        }
      }
      if (sink.hasErrors) return invalidResult(record, document);
      const permissionsPath = spec.provider === "aws" ? ["spec", "aws", "policy"] : ["spec", "gcp", "permissions"];
      return {
        kind: "WorkloadIdentity",
        identity: buildIdentity(record, policy, location(["metadata", "name"]), location(permissionsPath)),
      };
    }
    case "Workload":
      return { kind: "Workload", workload: buildWorkload(record, location(["metadata", "name"])) };
  }
}

function isDocumentKind(kind: unknown): kind is DocumentKind {
  return DOCUMENT_KINDS.some((known) => known === kind);
}

/** The policy path, where a nesting inside a policy is reported. */
const POLICY_PATH: NodePath = ["spec", "aws", "policy"];

/** Returns where to report a nesting that is too deep: the policy that contains it, or the top-level field. */
function depthFindingPath(tooDeep: NodePath): NodePath {
  const inPolicy = POLICY_PATH.every((segment, index) => tooDeep[index] === segment);
  return inPolicy ? POLICY_PATH : tooDeep.slice(0, 1);
}

/**
 * Returns a source location whose line and column are computed on first read, because
 * a position needs a syntax tree that a file without findings never builds. Reading
 * them (or spreading the object) builds the tree of the file once.
 */
function lazyLocation(document: ParsedDocument, path: NodePath): SourceLocation {
  let position: Position | undefined;
  const resolve = (): Position => (position ??= document.position(path));
  // Accessors of an object literal are own enumerable properties, so JSON and spreads see them.
  return {
    file: document.file,
    get line() {
      return resolve().line;
    },
    get column() {
      return resolve().column;
    },
  };
}

/**
 * Keeps the name of an identity or integration whose document is invalid, so that it is
 * reported as invalid and keeps its last installed state instead of looking removed.
 * A document that may be an identity but has no readable name is `Unidentified`.
 */
function invalidResult(record: Record<string, unknown>, document: ParsedDocument): DocumentResult {
  const metadata = isRecord(record.metadata) ? record.metadata : {};
  const spec = isRecord(record.spec) ? record.spec : {};
  const name = typeof metadata.name === "string" && metadata.name !== "" ? metadata.name : undefined;
  switch (record.kind) {
    case "Settings":
      return { kind: "InvalidSettings" };
    case "Workload":
      return { kind: "Skipped" };
    case "Integration":
      return name === undefined ? { kind: "Skipped" } : { kind: "InvalidIntegration", name, file: document.file };
    case "WorkloadIdentity":
      break;
    default:
      return { kind: "Unidentified" };
  }
  if (name === undefined) return { kind: "Unidentified" };
  const provider = spec.provider === "aws" || spec.provider === "gcp" ? spec.provider : undefined;
  const integration = typeof spec.integration === "string" ? spec.integration : undefined;
  return {
    kind: "InvalidIdentity",
    identity: { name, ...(provider !== undefined ? { provider } : {}), ...(integration !== undefined ? { integration } : {}), source: lazyLocation(document, ["metadata", "name"]) },
  };
}

function buildSettings(record: Record<string, unknown>, source: SourceLocation): Settings {
  const spec = record.spec as Record<string, unknown>;
  return {
    issuer: spec.issuer as string,
    statusFile: (spec.statusFile as string | undefined) ?? DEFAULT_STATUS_FILE,
    prune: (spec.prune as boolean | undefined) ?? false,
    tokenLifetimeSeconds: typeof spec.tokenLifetime === "string" ? (parseDuration(spec.tokenLifetime) ?? DEFAULT_TOKEN_LIFETIME_SECONDS) : DEFAULT_TOKEN_LIFETIME_SECONDS,
    suspend: (spec.suspend as boolean | undefined) ?? false,
    source,
  };
}

function buildIntegration(record: Record<string, unknown>, source: SourceLocation): Integration {
  const metadata = record.metadata as Record<string, unknown>;
  const spec = record.spec as Record<string, unknown>;
  const base = {
    name: metadata.name as string,
    ...(typeof metadata.description === "string" ? { description: metadata.description } : {}),
    source,
  };
  if (spec.provider === "aws") {
    const aws = spec.aws as Record<string, unknown>;
    return {
      ...base,
      provider: "aws",
      aws: {
        accountId: aws.accountId as string,
        rolePath: (aws.rolePath as string | undefined) ?? "/workload-identity/",
        roleNamePrefix: (aws.roleNamePrefix as string | undefined) ?? "wid-",
        ...(typeof aws.permissionsBoundary === "string" ? { permissionsBoundary: aws.permissionsBoundary } : {}),
      },
    };
  }
  const gcp = spec.gcp as Record<string, unknown>;
  return {
    ...base,
    provider: "gcp",
    gcp: {
      projectId: gcp.projectId as string,
      projectNumber: gcp.projectNumber as string,
      poolId: (gcp.poolId as string | undefined) ?? "wid-pool",
      providerId: (gcp.providerId as string | undefined) ?? "wid-issuer",
      uploadJwks: gcp.uploadJwks === true,
    },
  };
}

function buildIdentity(record: Record<string, unknown>, policy: PolicyDocument | undefined, source: SourceLocation, permissionsSource: SourceLocation): WorkloadIdentity {
  const metadata = record.metadata as Record<string, unknown>;
  const spec = record.spec as Record<string, unknown>;
  const scope = (spec.scope as Record<string, unknown> | undefined) ?? {};
  const builtScope: Scope = {
    projects: scope.projects as Scope["projects"],
    tags: scope.tags as Scope["tags"],
    matchAllTags: (scope.matchAllTags as boolean | undefined) ?? false,
  };
  const base = {
    name: metadata.name as string,
    ...(typeof metadata.description === "string" ? { description: metadata.description } : {}),
    integration: spec.integration as string,
    install: (spec.install as boolean | undefined) ?? false,
    scope: builtScope,
    source,
    permissionsSource,
  };
  if (spec.provider === "aws") {
    return { ...base, provider: "aws", aws: { policy: policy ?? {} } };
  }
  return { ...base, provider: "gcp", gcp: { permissions: (spec.gcp as Record<string, unknown>).permissions as string[] } };
}

function buildWorkload(record: Record<string, unknown>, source: SourceLocation): Workload {
  const metadata = record.metadata as Record<string, unknown>;
  const spec = record.spec as Record<string, unknown>;
  return {
    project: metadata.project as string,
    name: metadata.name as string,
    ...(typeof metadata.description === "string" ? { description: metadata.description } : {}),
    type: spec.type as Workload["type"],
    tags: (spec.tags as string[] | undefined) ?? [],
    source,
  };
}
