import { mkdir, mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import PQueue from "p-queue";

import { MAX_FILE_BYTES } from "../../config/files.js";
import { ExpectedError } from "../../errors/expected.js";
import type { GitHost, TreeEntry } from "../host.js";

/** Maximum number of YAML files fetched for one commit. */
export const MAX_FETCHED_FILES = 5000;

/** Maximum total size of the YAML files fetched for one commit (64 MiB). */
export const MAX_FETCHED_BYTES = 64 * 1024 * 1024;

/** Blob downloads in flight at once. */
const FETCH_CONCURRENCY = 8;

/** A commit's config files, written into a private temporary folder. */
export interface FetchedConfig {
  /** The config folder inside the temporary folder. */
  root: string;
  /** Number of files written. */
  files: number;
  /** Removes the temporary folder. */
  dispose: () => Promise<void>;
}

/** A tree that cannot be fetched within the limits, or with a path that is not safe. */
export class FetchConfigError extends ExpectedError {
  readonly kind = "pull-request-config";

  constructor(message: string) {
    super(message);
    this.name = "FetchConfigError";
  }
}

/**
 * Writes the `.yaml` and `.yml` files of commit `sha` under `configPath` into a new
 * temporary folder, so that the normal loader can read them. Files are written as data
 * only: nothing from the commit is executed, symbolic links and submodules are skipped,
 * and folders whose name starts with `.` are skipped as the loader skips them. A file
 * over the loader's size limit is written as an empty sparse file of its size, so that
 * the loader reports it without wid downloading it.
 */
export async function fetchConfigAtCommit(host: GitHost, sha: string, configPath: string): Promise<FetchedConfig> {
  const prefix = normalizeConfigPath(configPath);
  const entries = await listFiles(host, sha, prefix);
  const folder = await mkdtemp(path.join(tmpdir(), "wid-pr-"));
  const dispose = (): Promise<void> => rm(folder, { recursive: true, force: true });

  try {
    const root = path.join(folder, "repo", ...(prefix === "" ? [] : prefix.split("/")));
    await mkdir(root, { recursive: true });
    const queue = new PQueue({ concurrency: FETCH_CONCURRENCY });
    await Promise.all(
      entries.map((entry) =>
        queue.add(async () => {
          const relative = prefix === "" ? entry.path : entry.path.slice(prefix.length + 1);
          const target = safeJoin(root, relative);
          await mkdir(path.dirname(target), { recursive: true });
          if ((entry.size ?? 0) > MAX_FILE_BYTES) {
            await writeSparse(target, entry.size ?? 0);
          } else {
            await writeFile(target, await host.getBlob(entry.sha));
          }
        }),
      ),
    );
    return { root, files: entries.length, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/** `configPath` without leading, trailing or doubled slashes; `""` for the repository root. */
export function normalizeConfigPath(configPath: string): string {
  const segments = configPath.split("/").filter((segment) => segment !== "" && segment !== ".");
  if (segments.some((segment) => segment === "..")) throw new FetchConfigError(`config path ${JSON.stringify(configPath)} must not contain ..`);
  return segments.join("/");
}

/** Lists the YAML blobs under `prefix`, reading the tree folder by folder when GitHub truncates the recursive listing. */
async function listFiles(host: GitHost, sha: string, prefix: string): Promise<TreeEntry[]> {
  const tree = await host.getTree(sha, true);
  const entries = tree.truncated ? await walkTree(host, sha, "", prefix) : tree.entries;

  const files: TreeEntry[] = [];
  let total = 0;
  for (const entry of entries) {
    if (!isConfigFile(entry, prefix)) continue;
    checkPath(entry.path);
    files.push(entry);
    total += Math.min(entry.size ?? 0, MAX_FILE_BYTES);
    if (files.length > MAX_FETCHED_FILES) throw new FetchConfigError(`the commit has more than ${MAX_FETCHED_FILES} YAML files under the config path; point the App at the config folder`);
    if (total > MAX_FETCHED_BYTES) throw new FetchConfigError(`the YAML files under the config path exceed ${MAX_FETCHED_BYTES / (1024 * 1024)} MiB; point the App at the config folder`);
  }
  return files;
}

/** Reads the tree one folder per request, descending only into folders on the way to or under the config path. */
async function walkTree(host: GitHost, sha: string, base: string, prefix: string): Promise<TreeEntry[]> {
  const tree = await host.getTree(sha, false);
  const entries: TreeEntry[] = [];
  for (const entry of tree.entries) {
    const full = base === "" ? entry.path : `${base}/${entry.path}`;
    if (entry.type !== "tree") {
      entries.push({ ...entry, path: full });
      continue;
    }
    const onTheWay = prefix.startsWith(`${full}/`) || full === prefix;
    const under = prefix === "" || full.startsWith(`${prefix}/`);
    if (onTheWay || (under && !entry.path.startsWith("."))) entries.push(...(await walkTree(host, entry.sha, full, prefix)));
  }
  return entries;
}

function isConfigFile(entry: TreeEntry, prefix: string): boolean {
  if (entry.type !== "blob" || (entry.mode !== "100644" && entry.mode !== "100755")) return false;
  if (!entry.path.endsWith(".yaml") && !entry.path.endsWith(".yml")) return false;
  if (prefix !== "" && !entry.path.startsWith(`${prefix}/`)) return false;
  const relative = prefix === "" ? entry.path : entry.path.slice(prefix.length + 1);
  return !relative.split("/").some((segment) => segment.startsWith("."));
}

/** Rejects a path that could leave the temporary folder. Git trees never hold one, but the API response is input. */
function checkPath(file: string): void {
  const segments = file.split("/");
  if (file.includes("\0") || file.includes("\\") || segments.some((segment) => segment === "" || segment === "." || segment === "..")) {
    throw new FetchConfigError(`the tree lists an unsafe path ${JSON.stringify(file)}`);
  }
}

function safeJoin(root: string, relative: string): string {
  const target = path.resolve(root, relative);
  if (!target.startsWith(root + path.sep)) throw new FetchConfigError(`the tree lists an unsafe path ${JSON.stringify(relative)}`);
  return target;
}

async function writeSparse(target: string, size: number): Promise<void> {
  const handle = await open(target, "w");
  try {
    await handle.truncate(size);
  } finally {
    await handle.close();
  }
}
