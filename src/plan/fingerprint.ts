import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";

import type { ConfigModel } from "../config/model.js";
import { stableStringify } from "../config/aws-policy/canonical.js";
import { hashText } from "./hash.js";
import type { Plan } from "./types.js";

/**
 * Hashes of the inputs of a saved plan. `wid apply PLAN_FILE` recomputes each value
 * and refuses the plan when one differs, because the plan would no longer describe
 * what apply would do.
 */
export interface PlanFingerprints {
  /** The config commit, or null outside a git repository. */
  revision: string | null;
  /** sha256 of every config file's path and bytes, and the names of unreadable files. */
  config: string;
  /** Per integration: the observation's fingerprint, or `failed` or `unsupported`. */
  integrations: Record<string, string>;
  /** sha256 of the planned changes. */
  changes: string;
}

/**
 * Hashes the config files the model was loaded from, in byte order of paths. The status
 * file is not part of it: it changes with every apply and does not change the plan's
 * changes.
 */
export async function configFingerprint(root: string, model: ConfigModel): Promise<string> {
  const entries: [string, string][] = [];
  for (const file of [...model.files].sort()) {
    const bytes = await readFile(path.join(root, file)).catch(() => undefined);
    entries.push([file, bytes === undefined ? "missing" : createHash("sha256").update(bytes).digest("hex")]);
  }
  return hashText(stableStringify({ files: entries, unreadable: [...model.unreadableFiles].sort() }));
}

/** sha256 of a plan's changes, including what each would write. */
export function changesFingerprint(plan: Plan): string {
  return hashText(stableStringify(plan.changes));
}

/** Returns the first fingerprint that differs, as a sentence for the user, or undefined when all match. */
export function fingerprintMismatch(saved: PlanFingerprints, current: PlanFingerprints): string | undefined {
  if (saved.revision !== current.revision) {
    return `the config revision moved from ${saved.revision ?? "(none)"} to ${current.revision ?? "(none)"}`;
  }
  if (saved.config !== current.config) return "the config files changed";
  const names = new Set([...Object.keys(saved.integrations), ...Object.keys(current.integrations)]);
  for (const name of [...names].sort()) {
    if (saved.integrations[name] !== current.integrations[name]) return `the cloud resources of integration ${name} changed`;
  }
  if (saved.changes !== current.changes) return "the planned changes differ";
  return undefined;
}
