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
 * and response status, and `failRequests` makes chosen requests fail with a status. The field checks are in `fake-github-rules.ts`, the git objects
 * in `fake-github-git.ts`.
 *
 * It does not model: rate limits and their headers, permissions of tokens (every
 * accepted token may call every endpoint), check suites, re-requested checks, listing
 * or reading check runs, any cap on the total annotations of a run, Markdown rendering,
 * who may edit a comment, ETags, GraphQL, webhook deliveries, file renames, and any
 * endpoint not listed above (those get 404).
 */

import { createPublicKey, randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

import { jwtVerify } from "jose";

import type { FakeFile } from "./fake-github-git.js";
import { FakeGitStore } from "./fake-github-git.js";
import { checkCommentBody, checkOutput, checkState, isObject, LIMITS } from "./fake-github-rules.js";

export type { FakeFile } from "./fake-github-git.js";
export { LIMITS } from "./fake-github-rules.js";

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

export class FakeGithub {
  readonly requests: RecordedRequest[] = [];
  readonly checkRuns: FakeCheckRun[] = [];
  readonly comments: FakeComment[] = [];
  /** Installation tokens issued, in order. */
  readonly issuedTokens: string[] = [];
  url = "";

  private readonly git = new FakeGitStore();
  private readonly installationTokens = new Map<string, { installation: number; expires: number }>();
  private readonly failures: { method: string; path: RegExp; status: number }[] = [];
  private nextId = 1000;
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
    return this.git.commit(repository, files, options);
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
    if (!this.git.hasCommit(repository, body.head_sha)) return invalid(`No commit found for SHA: ${body.head_sha}`);
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
    const deep = recursive !== null && recursive !== "" && recursive !== "0" && recursive !== "false";
    const listing = this.git.listTree(repository, sha, deep);
    if (listing === undefined) return notFound();
    if (deep && this.options.truncateRecursiveTrees === true) return { status: 200, body: { sha: listing.sha, tree: [], truncated: true } };
    return { status: 200, body: { sha: listing.sha, tree: listing.entries, truncated: false } };
  }

  private getBlob(sha: string): Result {
    const content = this.git.blob(sha);
    if (content === undefined) return notFound();
    // GitHub wraps base64 content at 60 characters.
    const base64 = content.toString("base64").replace(/.{60}/g, "$&\n");
    return { status: 200, body: { sha, size: content.length, encoding: "base64", content: base64 } };
  }

  private getContents(repository: string, file: string, ref: string | null): Result {
    const commit = ref === null ? undefined : this.git.resolveRef(repository, ref);
    if (commit === undefined) return { status: 404, body: { message: `No commit found for the ref ${ref ?? ""}` } };
    const target = this.git.lookup(commit, file);
    if (target === undefined) return notFound();
    if (target.type === "dir") {
      return { status: 200, body: target.items.map((item) => ({ name: item.name, path: `${file}/${item.name}`, type: item.type === "tree" ? "dir" : "file", sha: item.sha })) };
    }
    const large = target.content.length > LIMITS.contentsApiFileBytes;
    const name = file.split("/").at(-1);
    return {
      status: 200,
      body: { type: "file", name, path: file, sha: target.sha, size: target.content.length, encoding: large ? "none" : "base64", content: large ? "" : target.content.toString("base64") },
    };
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

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}
