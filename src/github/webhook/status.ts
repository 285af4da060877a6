import path from "node:path";

import type { GitHost } from "../host.js";
import type { StatusReader } from "../planner.js";
import { readStatusText } from "../status-text.js";

/**
 * Returns a status reader that reads the status file from the tip of `branch` through
 * the API, not from the pull request. The daemon commits the status file to the branch,
 * and a pull request could edit its own copy to hide changes from an offline plan.
 */
export function branchStatusReader(host: GitHost, branch: string, configPath: string): StatusReader {
  return async (_root, statusFile) => {
    const file = configPath === "" ? statusFile : path.posix.join(configPath, statusFile);
    const content = await host.getFileAtRef(file, branch);
    if (content === null) return { status: undefined, diagnostics: [], missing: true };
    return readStatusText(content.toString("utf8"), statusFile);
  };
}
