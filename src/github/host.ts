import { ExpectedError } from "../errors/expected.js";

/**
 * The narrow interface to the git host: the few GitHub REST calls a check needs. The
 * octokit implementation is in `octokit-host.ts`; everything else in this folder
 * works against this interface only.
 */

/** Levels GitHub shows an annotation with. */
export type AnnotationLevel = "notice" | "warning" | "failure";

/** A check run annotation, in the REST API's field names. Lines are 1-based. */
export interface CheckAnnotation {
  /** Path relative to the repository root, with `/` separators. */
  path: string;
  start_line: number;
  end_line: number;
  /** Only allowed when `start_line` equals `end_line`. */
  start_column?: number;
  end_column?: number;
  annotation_level: AnnotationLevel;
  /** At most 255 characters. */
  title?: string;
  /** At most 64 KiB. */
  message: string;
  /** At most 64 KiB. */
  raw_details?: string;
}

export type CheckConclusion = "success" | "failure" | "neutral";

/** The output of a check run. `summary` and `text` hold at most 65,535 characters each. */
export interface CheckRunOutput {
  title: string;
  summary: string;
  text?: string;
  /** At most 50 per request; each update appends to the annotations already posted. */
  annotations?: CheckAnnotation[];
}

export interface CreateCheckRunInput {
  name: string;
  headSha: string;
  status: "queued" | "in_progress";
  startedAt: string;
  output?: CheckRunOutput;
}

export interface UpdateCheckRunInput {
  status?: "in_progress" | "completed";
  conclusion?: CheckConclusion;
  completedAt?: string;
  output?: CheckRunOutput;
}

export interface IssueComment {
  id: number;
  body: string;
  /** `Bot` for GitHub Apps and `github-actions[bot]`, `User` for people. */
  authorType: string;
}

/** An entry of a git tree, as the trees API lists it. */
export interface TreeEntry {
  /** Path relative to the tree, with `/` separators. */
  path: string;
  /** `100644` or `100755` for files, `120000` for symbolic links, `040000` for trees, `160000` for submodules. */
  mode: string;
  type: "blob" | "tree" | "commit";
  sha: string;
  /** Size in bytes, for blobs. */
  size?: number;
}

export interface GitTree {
  entries: TreeEntry[];
  /** True when the listing was cut at GitHub's limit and must be read folder by folder. */
  truncated: boolean;
}

export interface GitHost {
  createCheckRun(input: CreateCheckRunInput): Promise<{ id: number; url: string | null }>;
  updateCheckRun(id: number, input: UpdateCheckRunInput): Promise<void>;
  /** Every comment of an issue or pull request, oldest first. */
  listIssueComments(issue: number): Promise<IssueComment[]>;
  createIssueComment(issue: number, body: string): Promise<IssueComment>;
  updateIssueComment(id: number, body: string): Promise<void>;
  deleteIssueComment(id: number): Promise<void>;
  /** The tree of a commit or tree SHA, recursively or one level deep. */
  getTree(sha: string, recursive: boolean): Promise<GitTree>;
  getBlob(sha: string): Promise<Buffer>;
  /** The content of a file at a commit, or null when the file does not exist there. */
  getFileAtRef(path: string, ref: string): Promise<Buffer | null>;
}

/** A failed GitHub API call. The message names the call and the HTTP status, never a credential. */
export class GithubApiError extends ExpectedError {
  readonly kind = "github-api";

  readonly status: number | null;
  readonly call: string;

  constructor(call: string, status: number | null, detail: string) {
    super(`GitHub API call ${call} failed${status !== null ? ` with HTTP ${status}` : ""}: ${detail}`);
    this.name = "GithubApiError";
    this.call = call;
    this.status = status;
  }
}
