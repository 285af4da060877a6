/**
 * A recording fake of the GitHub REST API on 127.0.0.1, for tests of wid's GitHub
 * integration. No GitHub API server can run locally, so this fake replaces it, and tests
 * trust it only as far as it models the API.
 *
 * It models:
 * - authentication: `token X` or `Bearer X` with a configured token or an installation
 *   token it issued; anything else on a repository endpoint gets 401;
 * - GitHub App installation tokens: `POST /app/installations/{id}/access_tokens` with a
 *   JWT that must be RS256-signed by the App's private key (verified against its public
 *   key), with `iss` equal to the App ID and an expiry at most ten minutes ahead;
 * - check runs: create and update; `head_sha` must be a commit of the repository;
 *   `conclusion` implies `status: completed`, and `completed` requires a conclusion;
 *   `output` needs `title` and `summary`; `summary` and `text` over 65,535 characters,
 *   more than 50 annotations in one request, and malformed annotations (missing fields,
 *   bad level, columns across lines, title over 255 characters, message over 64 KiB)
 *   get 422; the annotations of each update are appended to those already posted;
 * - issue comments: list (paginated, with a `Link` header), create, update and delete;
 *   bodies over 65,536 characters get 422; the author is `github-actions[bot]` for a
 *   configured token and `SLUG[bot]` for an installation token, both of type `Bot`;
 * - repository contents at a commit: `git/trees/{sha}` (optionally recursive, and
 *   optionally truncated to test the folder-by-folder fallback), `git/blobs/{sha}` in
 *   base64, and `contents/{path}?ref=` for a branch name or commit SHA, which leaves
 *   `content` empty for files over 1 MiB as GitHub does.
 * It records every request with its method, path, query, Authorization header, body
 * and response status.
 *
 * It does not model: rate limits and their headers, permissions of tokens (every
 * accepted token may call every endpoint), check suites, re-requested checks, listing
 * or reading check runs, GitHub's total annotation cap per run, Markdown rendering,
 * who may edit a comment, ETags, GraphQL, webhooks deliveries, file renames, and any
 * endpoint not listed above (those get 404).
 */

import { createHash, createPublicKey, randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

import { jwtVerify } from "jose";

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  /** The JSON body, or undefined without one. */
  body: unknown;
  rawBody: string;
  status: number;
}

export interface FakeAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: string;
  title?: string;
  message: string;
  raw_details?: string;
}

export interface FakeCheckRun {
  id: number;
  repository: string;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  started_at: string | null;
  completed_at: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  /** Every annotation posted, in order, across create and updates. */
  annotations: FakeAnnotation[];
}

export interface FakeComment {
  id: number;
  repository: string;
  issue: number;
  body: string;
  user: { login: string; type: string };
}

export interface FakeGithubOptions {
  /** Tokens accepted as they are, such as a workflow's `GITHUB_TOKEN`. */
  tokens?: string[];
  /** A GitHub App whose JWTs are exchanged for installation tokens. */
  app?: { id: number; slug: string; publicKeyPem: string; installations: number[] };
  /** Return recursive tree listings as truncated, with no entries. */
  truncateRecursiveTrees?: boolean;
}

/** A file of a fake commit: text, or a symbolic link to `target`. */
export type FakeFile = string | { symlink: string };

interface TreeItem {
  name: string;
  mode: string;
  type: "blob" | "tree";
  sha: string;
  size?: number;
}

/** Limits GitHub applies, as its REST API documentation states them. */
export const LIMITS = {
  outputText: 65_535,
  annotationsPerRequest: 50,
  annotationTitle: 255,
  annotationMessageBytes: 64 * 1024,
  commentBody: 65_536,
  contentsApiFileBytes: 1024 * 1024,
} as const;

export class FakeGithub {
  readonly requests: RecordedRequest[] = [];
  readonly checkRuns: FakeCheckRun[] = [];
  readonly comments: FakeComment[] = [];
  /** Installation tokens issued, in order. */
  readonly issuedTokens: string[] = [];
  url = "";

  private readonly blobs = new Map<string, Buffer>();
  private readonly trees = new Map<string, TreeItem[]>();
  private readonly commits = new Map<string, { repository: string; tree: string }>();
  private readonly branches = new Map<string, string>();
  private readonly installationTokens = new Map<string, { installation: number; expires: number }>();
  private readonly failures: { method: string; path: RegExp; status: number }[] = [];
  private nextId = 1000;
  private commitCounter = 0;
  private server: ReturnType<typeof createServer> | undefined;

  constructor(private readonly options: FakeGithubOptions) {}

  /** Starts listening on a free port of 127.0.0.1. */
  async listen(): Promise<void> {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        this.send(response, 500, { message: `fake GitHub error: ${String(error)}` });
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    const address = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${address.port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.closeAllConnections();
      this.server?.close(() => resolve());
    });
  }

  /**
   * Adds a commit whose tree contains exactly `files` (paths with `/`), and points `branch`
   * at it when given. Returns the commit SHA: `sha` when given, so that a commit of a
   * local git repository can be mirrored, otherwise a new one.
   */
  commit(repository: string, files: Record<string, FakeFile>, options: { branch?: string; sha?: string } = {}): string {
    const tree = this.buildTree(files);
    this.commitCounter++;
    const sha = options.sha ?? sha1(`commit ${repository} ${tree} ${this.commitCounter}`);
    this.commits.set(sha, { repository, tree });
    if (options.branch !== undefined) this.branches.set(`${repository}#${options.branch}`, sha);
    return sha;
  }

  /** Adds a comment as if a user or bot had written it. */
  addComment(repository: string, issue: number, body: string, user: { login: string; type: string }): FakeComment {
    const comment = { id: this.nextId++, repository, issue, body, user };
    this.comments.push(comment);
    return comment;
  }

  /** Makes every later request matching `method` and `path` fail with `status`. */
  failRequests(method: string, path: RegExp, status: number): void {
    this.failures.push({ method, path, status });
  }

  /** Requests whose method and path match. */
  requestsTo(method: string, path: RegExp): RecordedRequest[] {
    return this.requests.filter((request) => request.method === method && path.test(request.path));
  }

  private buildTree(files: Record<string, FakeFile>): string {
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
    return this.storeTree(root);
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

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const rawBody = await readBody(request);
    let body: unknown;
    if (rawBody !== "") {
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = undefined;
      }
    }
    const record: RecordedRequest = {
      method: request.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      authorization: request.headers.authorization,
      body,
      rawBody,
      status: 0,
    };
    this.requests.push(record);

    const result = await this.route(record, url);
    record.status = result.status;
    this.send(response, result.status, result.body, result.headers);
  }

  private async route(request: RecordedRequest, url: URL): Promise<Result> {
    const failure = this.failures.find((entry) => entry.method === request.method && entry.path.test(request.path));
    if (failure !== undefined) return { status: failure.status, body: { message: "injected failure" } };

    const tokenRoute = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(request.path);
    if (tokenRoute !== null && request.method === "POST") return this.issueToken(request, Number(tokenRoute[1]));

    const repoRoute = /^\/repos\/([^/]+)\/([^/]+)(\/.*)$/.exec(request.path);
    if (repoRoute === null) return notFound();
    const repository = `${repoRoute[1]}/${repoRoute[2]}`;
    const rest = repoRoute[3] as string;
    const user = this.authenticate(request.authorization);
    if (user === undefined) return { status: 401, body: { message: "Bad credentials" } };

    let match: RegExpExecArray | null;
    if (rest === "/check-runs" && request.method === "POST") return this.createCheckRun(repository, request.body);
    if ((match = /^\/check-runs\/(\d+)$/.exec(rest)) !== null && request.method === "PATCH") return this.updateCheckRun(repository, Number(match[1]), request.body);
    if ((match = /^\/issues\/(\d+)\/comments$/.exec(rest)) !== null) {
      if (request.method === "GET") return this.listComments(repository, Number(match[1]), url);
      if (request.method === "POST") return this.createComment(repository, Number(match[1]), request.body, user);
    }
    if ((match = /^\/issues\/comments\/(\d+)$/.exec(rest)) !== null) {
      if (request.method === "PATCH") return this.updateComment(repository, Number(match[1]), request.body);
      if (request.method === "DELETE") return this.deleteComment(repository, Number(match[1]));
    }
    if ((match = /^\/git\/trees\/([0-9a-f]{40})$/.exec(rest)) !== null && request.method === "GET") return this.getTree(repository, match[1] as string, url.searchParams.get("recursive"));
    if ((match = /^\/git\/blobs\/([0-9a-f]{40})$/.exec(rest)) !== null && request.method === "GET") return this.getBlob(match[1] as string);
    if ((match = /^\/contents\/(.+)$/.exec(rest)) !== null && request.method === "GET") return this.getContents(repository, decodeURIComponent(match[1] as string), url.searchParams.get("ref"));
    return notFound();
  }

  private authenticate(header: string | undefined): { login: string; type: string } | undefined {
    const match = /^(?:token|bearer) (\S+)$/i.exec(header ?? "");
    if (match === null) return undefined;
    const token = match[1] as string;
    if ((this.options.tokens ?? []).includes(token)) return { login: "github-actions[bot]", type: "Bot" };
    const installation = this.installationTokens.get(token);
    if (installation !== undefined && installation.expires > Date.now()) return { login: `${this.options.app?.slug ?? "app"}[bot]`, type: "Bot" };
    return undefined;
  }

  private async issueToken(request: RecordedRequest, installation: number): Promise<Result> {
    const app = this.options.app;
    if (app === undefined) return notFound();
    const match = /^bearer (\S+)$/i.exec(request.authorization ?? "");
    if (match === null) return { status: 401, body: { message: "A JSON web token is required" } };
    try {
      const { payload } = await jwtVerify(match[1] as string, createPublicKey(app.publicKeyPem), { algorithms: ["RS256"] });
      const now = Math.floor(Date.now() / 1000);
      if (String(payload.iss) !== String(app.id)) return { status: 401, body: { message: "'Issuer' claim ('iss') does not name this App" } };
      if (typeof payload.exp !== "number" || payload.exp > now + 600 + 60) return { status: 401, body: { message: "'Expiration time' claim ('exp') is too far in the future" } };
      if (typeof payload.iat !== "number" || payload.iat > now + 60) return { status: 401, body: { message: "'Issued at' claim ('iat') is in the future" } };
    } catch (error) {
      return { status: 401, body: { message: `A JSON web token could not be decoded: ${(error as Error).message}` } };
    }
    if (!app.installations.includes(installation)) return notFound();

    const token = `ghs_${randomBytes(18).toString("hex")}`;
    const expires = Date.now() + 3600_000;
    this.installationTokens.set(token, { installation, expires });
    this.issuedTokens.push(token);
    return {
      status: 201,
      body: {
        token,
        expires_at: new Date(expires).toISOString(),
        permissions: { checks: "write", contents: "read", pull_requests: "write" },
        repository_selection: "all",
      },
    };
  }

  private createCheckRun(repository: string, body: unknown): Result {
    if (!isObject(body)) return invalid("Invalid request: the body is not a JSON object");
    if (typeof body.name !== "string" || body.name === "") return invalid("name wasn't supplied");
    if (typeof body.head_sha !== "string") return invalid("head_sha wasn't supplied");
    const commit = this.commits.get(body.head_sha);
    if (commit === undefined || commit.repository !== repository) return invalid(`No commit found for SHA: ${body.head_sha}`);
    const state = checkState(body, "queued");
    if (typeof state === "string") return invalid(state);
    const problem = checkOutput(body.output);
    if (problem !== undefined) return invalid(problem);

    const run: FakeCheckRun = {
      id: this.nextId++,
      repository,
      name: body.name,
      head_sha: body.head_sha,
      status: state.status,
      conclusion: state.conclusion,
      started_at: typeof body.started_at === "string" ? body.started_at : null,
      completed_at: typeof body.completed_at === "string" ? body.completed_at : null,
      output: { title: null, summary: null, text: null },
      annotations: [],
    };
    applyOutput(run, body.output);
    this.checkRuns.push(run);
    return { status: 201, body: this.checkRunJson(run) };
  }

  private updateCheckRun(repository: string, id: number, body: unknown): Result {
    const run = this.checkRuns.find((entry) => entry.id === id && entry.repository === repository);
    if (run === undefined) return notFound();
    if (!isObject(body)) return invalid("Invalid request: the body is not a JSON object");
    const state = checkState(body, run.status);
    if (typeof state === "string") return invalid(state);
    const problem = checkOutput(body.output);
    if (problem !== undefined) return invalid(problem);

    run.status = state.status;
    if (state.conclusion !== null) run.conclusion = state.conclusion;
    if (typeof body.completed_at === "string") run.completed_at = body.completed_at;
    applyOutput(run, body.output);
    return { status: 200, body: this.checkRunJson(run) };
  }

  private checkRunJson(run: FakeCheckRun): unknown {
    return {
      id: run.id,
      name: run.name,
      head_sha: run.head_sha,
      status: run.status,
      conclusion: run.conclusion,
      html_url: `https://github.example/${run.repository}/runs/${run.id}`,
      output: { ...run.output, annotations_count: run.annotations.length },
    };
  }

  private listComments(repository: string, issue: number, url: URL): Result {
    const perPage = Math.min(100, Number(url.searchParams.get("per_page") ?? "30") || 30);
    const page = Math.max(1, Number(url.searchParams.get("page") ?? "1") || 1);
    const all = this.comments.filter((comment) => comment.repository === repository && comment.issue === issue);
    const slice = all.slice((page - 1) * perPage, page * perPage);
    const headers: Record<string, string> = {};
    if (page * perPage < all.length) {
      const next = new URL(url.toString().replace("http://127.0.0.1", this.url));
      next.searchParams.set("page", String(page + 1));
      next.searchParams.set("per_page", String(perPage));
      headers.link = `<${next.toString()}>; rel="next"`;
    }
    return { status: 200, body: slice.map(commentJson), headers };
  }

  private createComment(repository: string, issue: number, body: unknown, user: { login: string; type: string }): Result {
    const problem = checkCommentBody(body);
    if (problem !== undefined) return invalid(problem);
    const comment = this.addComment(repository, issue, (body as { body: string }).body, user);
    return { status: 201, body: commentJson(comment) };
  }

  private updateComment(repository: string, id: number, body: unknown): Result {
    const comment = this.comments.find((entry) => entry.id === id && entry.repository === repository);
    if (comment === undefined) return notFound();
    const problem = checkCommentBody(body);
    if (problem !== undefined) return invalid(problem);
    comment.body = (body as { body: string }).body;
    return { status: 200, body: commentJson(comment) };
  }

  private deleteComment(repository: string, id: number): Result {
    const index = this.comments.findIndex((entry) => entry.id === id && entry.repository === repository);
    if (index === -1) return notFound();
    this.comments.splice(index, 1);
    return { status: 204, body: undefined };
  }

  private getTree(repository: string, sha: string, recursive: string | null): Result {
    const commit = this.commits.get(sha);
    if (commit !== undefined && commit.repository !== repository) return notFound();
    const treeSha = commit?.tree ?? sha;
    const items = this.trees.get(treeSha);
    if (items === undefined) return notFound();

    const deep = recursive !== null && recursive !== "" && recursive !== "0" && recursive !== "false";
    if (deep && this.options.truncateRecursiveTrees === true) return { status: 200, body: { sha: treeSha, tree: [], truncated: true } };
    const entries: unknown[] = [];
    const walk = (list: TreeItem[], base: string): void => {
      for (const item of list) {
        const path = base === "" ? item.name : `${base}/${item.name}`;
        entries.push({ path, mode: item.mode, type: item.type, sha: item.sha, ...(item.size !== undefined ? { size: item.size } : {}) });
        if (deep && item.type === "tree") walk(this.trees.get(item.sha) ?? [], path);
      }
    };
    walk(items, "");
    return { status: 200, body: { sha: treeSha, tree: entries, truncated: false } };
  }

  private getBlob(sha: string): Result {
    const content = this.blobs.get(sha);
    if (content === undefined) return notFound();
    // GitHub wraps base64 content at 60 characters.
    const base64 = content.toString("base64").replace(/.{60}/g, "$&\n");
    return { status: 200, body: { sha, size: content.length, encoding: "base64", content: base64 } };
  }

  private getContents(repository: string, file: string, ref: string | null): Result {
    const commitSha = ref === null ? undefined : /^[0-9a-f]{40}$/.test(ref) ? ref : this.branches.get(`${repository}#${ref}`);
    const commit = commitSha === undefined ? undefined : this.commits.get(commitSha);
    if (commit === undefined || commit.repository !== repository) return { status: 404, body: { message: `No commit found for the ref ${ref ?? ""}` } };

    let items = this.trees.get(commit.tree) ?? [];
    const segments = file.split("/");
    for (const [index, segment] of segments.entries()) {
      const item = items.find((entry) => entry.name === segment);
      if (item === undefined) return notFound();
      if (index === segments.length - 1) {
        if (item.type === "tree") return { status: 200, body: (this.trees.get(item.sha) ?? []).map((entry) => ({ name: entry.name, path: `${file}/${entry.name}`, type: entry.type === "tree" ? "dir" : "file", sha: entry.sha })) };
        const content = this.blobs.get(item.sha) ?? Buffer.alloc(0);
        const large = content.length > LIMITS.contentsApiFileBytes;
        return {
          status: 200,
          body: { type: "file", name: segment, path: file, sha: item.sha, size: content.length, encoding: large ? "none" : "base64", content: large ? "" : content.toString("base64") },
        };
      }
      if (item.type !== "tree") return notFound();
      items = this.trees.get(item.sha) ?? [];
    }
    return notFound();
  }

  private send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (body === undefined) {
      response.writeHead(status, headers);
      response.end();
      return;
    }
    response.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
    response.end(JSON.stringify(body));
  }
}

/** Starts a fake on a free port of 127.0.0.1. */
export async function startFakeGithub(options: FakeGithubOptions = {}): Promise<FakeGithub> {
  const fake = new FakeGithub(options);
  await fake.listen();
  return fake;
}

interface Result {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

function notFound(): Result {
  return { status: 404, body: { message: "Not Found" } };
}

function invalid(message: string): Result {
  return { status: 422, body: { message: "Validation Failed", errors: [message] } };
}

const CONCLUSIONS = ["action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out"];
const STATUSES = ["queued", "in_progress", "completed", "waiting", "requested", "pending"];
const LEVELS = ["notice", "warning", "failure"];

function checkState(body: Record<string, unknown>, current: string): { status: string; conclusion: string | null } | string {
  const conclusion = body.conclusion;
  if (conclusion !== undefined && (typeof conclusion !== "string" || !CONCLUSIONS.includes(conclusion))) return `conclusion ${String(conclusion)} is not one of ${CONCLUSIONS.join(", ")}`;
  if (body.status !== undefined && (typeof body.status !== "string" || !STATUSES.includes(body.status))) return `status ${String(body.status)} is not one of ${STATUSES.join(", ")}`;
  // Providing a conclusion sets the status to completed.
  let status = current;
  if (typeof body.status === "string") status = body.status;
  if (typeof conclusion === "string") status = "completed";
  if (status === "completed" && typeof conclusion !== "string") return "conclusion must be supplied when status is completed";
  return { status, conclusion: typeof conclusion === "string" ? conclusion : null };
}

function checkOutput(output: unknown): string | undefined {
  if (output === undefined) return undefined;
  if (!isObject(output)) return "output is not an object";
  if (typeof output.title !== "string") return "output.title wasn't supplied";
  if (typeof output.summary !== "string") return "output.summary wasn't supplied";
  if (characters(output.summary) > LIMITS.outputText) return `output.summary is too long (maximum is ${LIMITS.outputText} characters)`;
  if (output.text !== undefined && (typeof output.text !== "string" || characters(output.text) > LIMITS.outputText)) return `output.text is too long (maximum is ${LIMITS.outputText} characters)`;
  if (output.annotations === undefined) return undefined;
  if (!Array.isArray(output.annotations)) return "output.annotations is not an array";
  if (output.annotations.length > LIMITS.annotationsPerRequest) return `Only ${LIMITS.annotationsPerRequest} annotations are allowed per request`;
  for (const [index, annotation] of output.annotations.entries()) {
    const problem = checkAnnotation(annotation);
    if (problem !== undefined) return `output.annotations[${index}]: ${problem}`;
  }
  return undefined;
}

function checkAnnotation(annotation: unknown): string | undefined {
  if (!isObject(annotation)) return "is not an object";
  if (typeof annotation.path !== "string" || annotation.path === "") return "path wasn't supplied";
  if (!isPositiveInteger(annotation.start_line) || !isPositiveInteger(annotation.end_line)) return "start_line and end_line must be positive integers";
  if (annotation.end_line < annotation.start_line) return "end_line is before start_line";
  if (typeof annotation.annotation_level !== "string" || !LEVELS.includes(annotation.annotation_level)) return `annotation_level must be one of ${LEVELS.join(", ")}`;
  if (typeof annotation.message !== "string" || annotation.message === "") return "message wasn't supplied";
  if (Buffer.byteLength(annotation.message) > LIMITS.annotationMessageBytes) return "message is too long (maximum is 64 KB)";
  if (annotation.raw_details !== undefined && (typeof annotation.raw_details !== "string" || Buffer.byteLength(annotation.raw_details) > LIMITS.annotationMessageBytes)) return "raw_details is too long (maximum is 64 KB)";
  if (annotation.title !== undefined && (typeof annotation.title !== "string" || characters(annotation.title) > LIMITS.annotationTitle)) return "title is too long (maximum is 255 characters)";
  const columns = annotation.start_column !== undefined || annotation.end_column !== undefined;
  if (columns && annotation.start_line !== annotation.end_line) return "start_column and end_column may only be given when start_line equals end_line";
  return undefined;
}

function checkCommentBody(body: unknown): string | undefined {
  if (!isObject(body) || typeof body.body !== "string") return "body wasn't supplied";
  if (characters(body.body) > LIMITS.commentBody) return `body is too long (maximum is ${LIMITS.commentBody} characters)`;
  return undefined;
}

function applyOutput(run: FakeCheckRun, output: unknown): void {
  if (!isObject(output)) return;
  run.output.title = output.title as string;
  run.output.summary = output.summary as string;
  if (typeof output.text === "string") run.output.text = output.text;
  if (Array.isArray(output.annotations)) run.annotations.push(...(output.annotations as FakeAnnotation[]));
}

function commentJson(comment: FakeComment): unknown {
  return { id: comment.id, body: comment.body, user: comment.user, html_url: `https://github.example/${comment.repository}/pull/${comment.issue}#issuecomment-${comment.id}` };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 1;
}

/**
 * Length in Unicode code points. NOTE: GitHub does not document whether its limits count
 * code points, UTF-16 units or bytes; wid measures UTF-8 bytes, which is stricter than all three.
 */
function characters(text: string): number {
  return [...text].length;
}

function sha1(data: string | Buffer): string {
  return createHash("sha1").update(data).digest("hex");
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}
