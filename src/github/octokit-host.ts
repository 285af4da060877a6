import type { Octokit } from "octokit";
import { RequestError } from "octokit";

import type { CheckRunOutput, GitHost, GitTree, IssueComment, TreeEntry } from "./host.js";
import { GithubApiError } from "./host.js";

/** The repository a host works on. */
export interface RepositoryRef {
  owner: string;
  repo: string;
}

/**
 * Implements {@link GitHost} with an authenticated octokit client. Octokit errors are
 * converted here, once, into {@link GithubApiError}s that name the call.
 */
export function createOctokitHost(octokit: Octokit, repository: RepositoryRef): GitHost {
  const { owner, repo } = repository;

  return {
    async createCheckRun(input) {
      const response = await call("checks.create", () =>
        octokit.rest.checks.create({
          owner,
          repo,
          name: input.name,
          head_sha: input.headSha,
          status: input.status,
          started_at: input.startedAt,
          ...(input.output !== undefined ? { output: toApiOutput(input.output) } : {}),
        }),
      );
      return { id: response.data.id, url: response.data.html_url ?? null };
    },

    async updateCheckRun(id, input) {
      await call("checks.update", () =>
        octokit.rest.checks.update({
          owner,
          repo,
          check_run_id: id,
          ...(input.status !== undefined ? { status: input.status } : {}),
          ...(input.conclusion !== undefined ? { conclusion: input.conclusion } : {}),
          ...(input.completedAt !== undefined ? { completed_at: input.completedAt } : {}),
          ...(input.output !== undefined ? { output: toApiOutput(input.output) } : {}),
        }),
      );
    },

    async listIssueComments(issue) {
      const comments = await call("issues.listComments", () => octokit.paginate(octokit.rest.issues.listComments, { owner, repo, issue_number: issue, per_page: 100 }));
      return comments.map((comment) => ({ id: comment.id, body: comment.body ?? "", authorType: comment.user?.type ?? "" }));
    },

    async createIssueComment(issue, body) {
      const response = await call("issues.createComment", () => octokit.rest.issues.createComment({ owner, repo, issue_number: issue, body }));
      const comment: IssueComment = { id: response.data.id, body: response.data.body ?? "", authorType: response.data.user?.type ?? "" };
      return comment;
    },

    async updateIssueComment(id, body) {
      await call("issues.updateComment", () => octokit.rest.issues.updateComment({ owner, repo, comment_id: id, body }));
    },

    async deleteIssueComment(id) {
      await call("issues.deleteComment", () => octokit.rest.issues.deleteComment({ owner, repo, comment_id: id }));
    },

    async getTree(sha, recursive) {
      const response = await call("git.getTree", () => octokit.rest.git.getTree({ owner, repo, tree_sha: sha, ...(recursive ? { recursive: "1" } : {}) }));
      const entries: TreeEntry[] = [];
      for (const entry of response.data.tree) {
        if (entry.path === undefined || entry.mode === undefined || entry.sha === undefined) continue;
        if (entry.type !== "blob" && entry.type !== "tree" && entry.type !== "commit") continue;
        entries.push({ path: entry.path, mode: entry.mode, type: entry.type, sha: entry.sha, ...(entry.size !== undefined ? { size: entry.size } : {}) });
      }
      const tree: GitTree = { entries, truncated: response.data.truncated };
      return tree;
    },

    async getBlob(sha) {
      const response = await call("git.getBlob", () => octokit.rest.git.getBlob({ owner, repo, file_sha: sha }));
      return Buffer.from(response.data.content, response.data.encoding === "base64" ? "base64" : "utf8");
    },

    async getFileAtRef(path, ref) {
      let response;
      try {
        response = await octokit.rest.repos.getContent({ owner, repo, path, ref });
      } catch (error) {
        if (error instanceof RequestError && error.status === 404) return null;
        throw convertError("repos.getContent", error);
      }
      const data = response.data;
      if (Array.isArray(data) || data.type !== "file") return null;
      // The contents API leaves `content` empty for files over 1 MiB; the blob API has them.
      if (data.encoding === "base64" && (data.content !== "" || data.size === 0)) return Buffer.from(data.content, "base64");
      return this.getBlob(data.sha);
    },
  };
}

function toApiOutput(output: CheckRunOutput): CheckRunOutput {
  return {
    title: output.title,
    summary: output.summary,
    ...(output.text !== undefined ? { text: output.text } : {}),
    ...(output.annotations !== undefined ? { annotations: output.annotations } : {}),
  };
}

async function call<T>(name: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw convertError(name, error);
  }
}

/**
 * Keeps GitHub's own message, which names the invalid field. The octokit error is not
 * kept as `cause`, so that no request headers or response bodies reach a log.
 */
function convertError(name: string, error: unknown): GithubApiError {
  if (error instanceof RequestError) {
    const detail = error.message.split(" - https://")[0] ?? error.message;
    return new GithubApiError(name, error.status, detail.slice(0, 1000));
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new GithubApiError(name, null, detail.slice(0, 1000));
}
