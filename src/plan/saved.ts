import type { PlanFingerprints } from "./fingerprint.js";
import type { Plan } from "./types.js";
import { isRecord } from "../json/record.js";

/** Format marker of plan files written by `wid plan --out`. */
export const SAVED_PLAN_FORMAT = "wid-plan/v1";

/**
 * A plan saved by `wid plan --out FILE`. `wid apply FILE` reads only `format`,
 * `mode`, `root` and `fingerprints`: it plans again from the config and the cloud, and
 * applies only when every fingerprint still matches. The saved `plan` is for people
 * and tools to read; it is never trusted as input.
 */
export interface SavedPlan {
  format: typeof SAVED_PLAN_FORMAT;
  mode: Plan["mode"];
  /** Absolute path of the config directory. */
  root: string;
  /** Null for an offline plan, which cannot be applied. */
  fingerprints: PlanFingerprints | null;
  plan: Plan;
}

/** The fields of a plan file that `wid apply` reads. */
export interface SavedPlanHeader {
  mode: Plan["mode"];
  root: string;
  fingerprints: PlanFingerprints | null;
}

export function serializeSavedPlan(plan: Plan, root: string, fingerprints: PlanFingerprints | null): string {
  const saved: SavedPlan = { format: SAVED_PLAN_FORMAT, mode: plan.mode, root, fingerprints, plan };
  return `${JSON.stringify(saved, null, 2)}\n`;
}

/** Reads the header of a plan file, checking each field it uses. Throws an Error naming what is wrong. */
export function parseSavedPlan(text: string): SavedPlanHeader {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error("is not JSON; pass a file written by wid plan --out, or a config directory");
  }
  if (!isRecord(value) || value.format !== SAVED_PLAN_FORMAT) throw new Error(`is not a wid plan file (format ${SAVED_PLAN_FORMAT}); write one with wid plan --out`);
  const { mode, root, fingerprints } = value;
  if (mode !== "online" && mode !== "offline") throw new Error("has no valid mode");
  if (typeof root !== "string") throw new Error("has no config directory (root)");
  if (fingerprints === null) return { mode, root, fingerprints: null };
  if (!isRecord(fingerprints)) throw new Error("has no valid fingerprints");

  const { revision, config, integrations, changes } = fingerprints;
  if ((revision !== null && typeof revision !== "string") || typeof config !== "string" || typeof changes !== "string" || !isRecord(integrations)) {
    throw new Error("has invalid fingerprints");
  }
  const integrationPrints: Record<string, string> = {};
  for (const [name, print] of Object.entries(integrations)) {
    if (typeof print !== "string") throw new Error(`has an invalid fingerprint for integration ${name}`);
    integrationPrints[name] = print;
  }
  return { mode, root, fingerprints: { revision, config, integrations: integrationPrints, changes } };
}
