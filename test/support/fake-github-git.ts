/**
 * The git objects of the fake GitHub API (`fake-github.ts`): commits, trees and blobs
 * built from plain file maps, with blob SHAs computed as git computes them. Tree and
 * commit SHAs are unique but not git's, which no test relies on.
 */

import { createHash } from "node:crypto";

/** A file of a fake commit: text, or a symbolic link to `symlink`. */
export type FakeFile = string | { symlink: string };

/** An entry of a stored tree, one level deep. */
export interface TreeItem {
  name: string;
  mode: string;
  type: "blob" | "tree";
  sha: string;
  size?: number;
}

/** An entry of a tree listing, as the trees API returns it. */
export interface TreeListingEntry {
  path: string;
  mode: string;
  type: "blob" | "tree";
  sha: string;
  size?: number;
}

/** What a path resolves to at a commit. */
export type PathTarget = { type: "file"; sha: string; content: Buffer } | { type: "dir"; items: TreeItem[] };

export class FakeGitStore {
  private readonly blobs = new Map<string, Buffer>();
  private readonly trees = new Map<string, TreeItem[]>();
  private readonly commits = new Map<string, { repository: string; tree: string }>();
  private readonly branches = new Map<string, string>();
  private commitCounter = 0;

  /** Adds a commit whose tree contains exactly `files`; see `FakeGithub.commit`. */
  commit(repository: string, files: Record<string, FakeFile>, options: { branch?: string; sha?: string } = {}): string {
    const tree = this.storeTree(nest(files));
    this.commitCounter++;
    const sha = options.sha ?? sha1(`commit ${repository} ${tree} ${this.commitCounter}`);
    this.commits.set(sha, { repository, tree });
    if (options.branch !== undefined) this.branches.set(`${repository}#${options.branch}`, sha);
    return sha;
  }

  hasCommit(repository: string, sha: string): boolean {
    return this.commits.get(sha)?.repository === repository;
  }

  /** Lists the tree of a commit or tree SHA, recursively or one level deep; undefined when unknown. */
  listTree(repository: string, sha: string, recursive: boolean): { sha: string; entries: TreeListingEntry[] } | undefined {
    const commit = this.commits.get(sha);
    if (commit !== undefined && commit.repository !== repository) return undefined;
    const treeSha = commit?.tree ?? sha;
    const items = this.trees.get(treeSha);
    if (items === undefined) return undefined;

    const entries: TreeListingEntry[] = [];
    const walk = (list: TreeItem[], base: string): void => {
      for (const item of list) {
        const path = base === "" ? item.name : `${base}/${item.name}`;
        entries.push({ path, mode: item.mode, type: item.type, sha: item.sha, ...(item.size !== undefined ? { size: item.size } : {}) });
        if (recursive && item.type === "tree") walk(this.trees.get(item.sha) ?? [], path);
      }
    };
    walk(items, "");
    return { sha: treeSha, entries };
  }

  blob(sha: string): Buffer | undefined {
    return this.blobs.get(sha);
  }

  /** Resolves a branch name or commit SHA to a commit SHA, or returns undefined when unknown. */
  resolveRef(repository: string, ref: string): string | undefined {
    const sha = /^[0-9a-f]{40}$/.test(ref) ? ref : this.branches.get(`${repository}#${ref}`);
    return sha !== undefined && this.hasCommit(repository, sha) ? sha : undefined;
  }

  /** Finds the file or folder at `file` in commit `sha`, or returns undefined when there is none. */
  lookup(sha: string, file: string): PathTarget | undefined {
    const commit = this.commits.get(sha);
    if (commit === undefined) return undefined;
    let items = this.trees.get(commit.tree) ?? [];
    const segments = file.split("/");
    for (const [index, segment] of segments.entries()) {
      const item = items.find((entry) => entry.name === segment);
      if (item === undefined) return undefined;
      const last = index === segments.length - 1;
      if (item.type === "tree") {
        items = this.trees.get(item.sha) ?? [];
        if (last) return { type: "dir", items };
      } else {
        return last ? { type: "file", sha: item.sha, content: this.blobs.get(item.sha) ?? Buffer.alloc(0) } : undefined;
      }
    }
    return undefined;
  }

  private storeTree(folder: Map<string, unknown>): string {
    const items: TreeItem[] = [];
    for (const [name, value] of [...folder].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (value instanceof Map) {
        items.push({ name, mode: "040000", type: "tree", sha: this.storeTree(value as Map<string, unknown>) });
        continue;
      }
      const file = value as FakeFile;
      const content = Buffer.from(typeof file === "string" ? file : file.symlink, "utf8");
      const sha = sha1(Buffer.concat([Buffer.from(`blob ${content.length}\0`), content]));
      this.blobs.set(sha, content);
      items.push({ name, mode: typeof file === "string" ? "100644" : "120000", type: "blob", sha, size: content.length });
    }
    const sha = sha1(`tree ${JSON.stringify(items)}`);
    this.trees.set(sha, items);
    return sha;
  }
}

/** Turns `a/b/c.yaml` paths into nested folder maps. */
function nest(files: Record<string, FakeFile>): Map<string, unknown> {
  const root = new Map<string, unknown>();
  for (const [file, content] of Object.entries(files)) {
    const segments = file.split("/");
    let folder = root;
    for (const segment of segments.slice(0, -1)) {
      let next = folder.get(segment);
      if (!(next instanceof Map)) {
        next = new Map<string, unknown>();
        folder.set(segment, next);
      }
      folder = next as Map<string, unknown>;
    }
    folder.set(segments.at(-1) as string, content);
  }
  return root;
}

function sha1(data: string | Buffer): string {
  return createHash("sha1").update(data).digest("hex");
}
