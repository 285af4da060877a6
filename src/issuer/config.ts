import { loadConfig } from "../config/load.js";
import type { ConfigModel, Settings } from "../config/model.js";
import { IssuerError } from "./errors.js";

/** A config repository whose Settings are valid, as the issuer commands need it. */
export interface IssuerConfig {
  root: string;
  model: ConfigModel;
  settings: Settings;
}

/**
 * Loads the config repository at `root` and returns it with its Settings. Errors in
 * other documents are left to `wid validate`, because an invalid identity file must not
 * stop the delivery of credentials for the valid ones. Throws an {@link IssuerError}
 * when no valid Settings document exists, naming the first error of the Settings file.
 */
export async function loadIssuerConfig(root: string): Promise<IssuerConfig> {
  const { root: absoluteRoot, model, diagnostics } = await loadConfig(root);
  if (model.settings !== undefined) return { root: absoluteRoot, model, settings: model.settings };

  const finding = diagnostics.find((diagnostic) => diagnostic.severity === "error" && diagnostic.code.startsWith("settings"));
  const detail = finding === undefined ? "" : ` (${finding.file}:${finding.line}:${finding.column}: ${finding.message})`;
  throw new IssuerError(`the config in ${root} has no valid Settings document${detail}; add one with spec.issuer, and run wid validate to see every error`);
}
