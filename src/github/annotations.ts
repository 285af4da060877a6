import path from "node:path";

import type { Diagnostic } from "../config/diagnostics.js";
import type { ConfigModel, SourceLocation } from "../config/model.js";
import type { Plan, ResourceChange } from "../plan/types.js";
import { formatChange } from "../cli/output/plan-text.js";
import { describeChanges } from "./describe.js";
import type { AnnotationLevel, CheckAnnotation } from "./host.js";
import { clampText } from "./markdown.js";

/** Maximum length of an annotation's title. */
export const ANNOTATION_TITLE_LIMIT = 255;

/** Maximum size of an annotation's message and of its raw details (64 KiB). */
export const ANNOTATION_MESSAGE_LIMIT = 64 * 1024;

export interface AnnotationInput {
  model: ConfigModel;
  diagnostics: readonly Diagnostic[];
  plan: Plan | undefined;
  /** The config folder relative to the repository root, `""` at the root. */
  pathPrefix: string;
}

/**
 * Builds the annotations of a check: one on the line of each diagnostic, one on each
 * identity the plan changes or holds as pending (on its permissions when they change,
 * otherwise on its name), one on each integration whose shared resources change, and
 * one on each conflicting identity and failed integration. Removed identities have no
 * file left to annotate; the summary lists them.
 */
export function buildAnnotations(input: AnnotationInput): CheckAnnotation[] {
  const annotations: CheckAnnotation[] = input.diagnostics.map((diagnostic) => diagnosticAnnotation(diagnostic, input.pathPrefix));
  const plan = input.plan;
  if (plan === undefined) return annotations;

  const at = (source: SourceLocation, level: AnnotationLevel, title: string, message: string, details?: string): CheckAnnotation => ({
    path: repositoryPath(input.pathPrefix, source.file),
    start_line: source.line,
    end_line: source.line,
    annotation_level: level,
    title: clampText(title, ANNOTATION_TITLE_LIMIT),
    message: clampText(message, ANNOTATION_MESSAGE_LIMIT),
    ...(details !== undefined ? { raw_details: clampText(details, ANNOTATION_MESSAGE_LIMIT) } : {}),
  });

  // Integration-wide resources (OIDC provider, pool) sit on the integration's name.
  for (const [name, changes] of groupBy([...plan.changes, ...plan.pending], (change) => (change.identity === null ? change.integration : undefined))) {
    const integration = input.model.integrations.get(name);
    if (integration === undefined) continue;
    const pending = changes.every((change) => plan.pending.includes(change));
    annotations.push(at(integration.source, "notice", `wid: ${name}`, changeMessage(changes, pending), details(changes)));
  }

  // Identity resources sit on the permissions when those change, otherwise on the name.
  const pendingSet = new Set(plan.pending);
  for (const [name, changes] of groupBy([...plan.changes, ...plan.pending], (change) => change.identity ?? undefined)) {
    const identity = input.model.identities.get(name);
    if (identity === undefined) continue;
    const pending = changes.every((change) => pendingSet.has(change));
    const onPermissions = changes.every((change) => change.action === "update" && (change.type === "role-policy" || change.type === "custom-role"));
    const source = onPermissions ? identity.permissionsSource : identity.source;
    annotations.push(at(source, "notice", pending ? `wid: ${name} (pending install)` : `wid: ${name}`, changeMessage(changes, pending), details(changes)));
  }

  for (const conflict of plan.conflicts) {
    const identity = input.model.identities.get(conflict.identity);
    if (identity === undefined) continue;
    annotations.push(at(identity.source, "warning", `wid: ${conflict.identity} conflicts`, `conflict, left untouched: ${conflict.message}`));
  }

  for (const failure of plan.failedIntegrations) {
    const integration = input.model.integrations.get(failure.integration);
    if (integration === undefined) continue;
    annotations.push(at(integration.source, "warning", `wid: ${failure.integration} could not be planned`, failure.message));
  }
  return annotations;
}

/** `file` under the config folder as a path from the repository root. */
export function repositoryPath(pathPrefix: string, file: string): string {
  return pathPrefix === "" ? file : path.posix.join(pathPrefix, file);
}

function diagnosticAnnotation(diagnostic: Diagnostic, pathPrefix: string): CheckAnnotation {
  return {
    path: repositoryPath(pathPrefix, diagnostic.file),
    start_line: diagnostic.line,
    end_line: diagnostic.line,
    start_column: diagnostic.column,
    end_column: diagnostic.column,
    annotation_level: diagnostic.severity === "error" ? "failure" : "warning",
    title: clampText(`wid ${diagnostic.code}`, ANNOTATION_TITLE_LIMIT),
    message: clampText(diagnostic.message, ANNOTATION_MESSAGE_LIMIT),
  };
}

function changeMessage(changes: readonly ResourceChange[], pending: boolean): string {
  const sentences = describeChanges(changes).join("\n");
  return pending ? `pending install (install is false, so nothing is applied; set install: true to apply):\n${sentences}` : sentences;
}

function details(changes: readonly ResourceChange[]): string {
  return changes.map((change) => formatChange(change).replace(/^ {2}/gm, "")).join("\n");
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string | undefined): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    if (key === undefined) continue;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return groups;
}
