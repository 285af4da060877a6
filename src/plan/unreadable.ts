import { compareBytes } from "../text/order.js";
import type { ConfigModel, InvalidIdentity } from "../config/model.js";
import type { StatusFile } from "../status/types.js";

/**
 * Adds to the model's invalid identities those that the previous status file places in
 * a file that cannot be read now, such as a file with a YAML syntax error, or in a
 * folder that is a symbolic link now. The loader
 * cannot name them, so without this they would look removed: orphaned, dropped from the
 * status, and their workloads would switch to another identity. As invalid identities
 * they keep their last installed state, their resources are neither changed nor
 * deleted, and their workloads keep their selection. Both planners and the status
 * builder call it, so `wid plan`, `wid apply` and the daemon agree. Pure; returns
 * `model` itself when nothing is added.
 */
export function withUnreadableIdentities(model: ConfigModel, previous: StatusFile | undefined): ConfigModel {
  if (previous === undefined || model.unreadableFiles.length === 0) return model;
  const unreadable = new Set(model.unreadableFiles);
  const folders = model.unreadableFiles.filter((entry) => entry.endsWith("/"));
  const isUnreadable = (file: string): boolean => unreadable.has(file) || folders.some((folder) => file.startsWith(folder));

  const recovered = new Map<string, InvalidIdentity>(model.invalidIdentities);
  for (const [name, before] of Object.entries(previous.identities)) {
    if (before.file === null || !isUnreadable(before.file)) continue;
    if (model.identities.has(name) || recovered.has(name)) continue;
    recovered.set(name, { name, provider: before.provider, integration: before.integration, source: { file: before.file, line: 1, column: 1 } });
  }
  if (recovered.size === model.invalidIdentities.size) return model;
  const sorted = new Map([...recovered].sort(([a], [b]) => compareBytes(a, b)));
  return { ...model, invalidIdentities: sorted };
}
