import type { GitHost } from "./host.js";
import type { MarkdownBlock } from "./markdown.js";
import { COMMENT_LIMIT, paginateMarkdown, textSize } from "./markdown.js";

/** The hidden marker that starts every plan comment; `part=N` numbers the parts of a split plan. */
export const COMMENT_MARKER_PREFIX = "<!-- wid:plan-comment part=";

/** Room kept in each part for its marker and heading. */
const HEADER_ROOM = 200;

/** What a comment update did, part by part. */
export interface CommentResult {
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  /** Comment IDs of the parts, in order. */
  ids: number[];
}

/**
 * Creates the plan comment of a pull request, or updates it in place: the comments are
 * found again by their hidden marker, so each push edits the same comments instead of
 * adding new ones. A plan over GitHub's comment limit (65,536 characters) is split into
 * numbered parts; parts no longer needed are deleted, and unchanged parts are not
 * written. Only comments by bots are considered, so a person quoting the marker is
 * never edited.
 */
export async function upsertPlanComment(host: GitHost, pullRequest: number, title: string, blocks: readonly MarkdownBlock[]): Promise<CommentResult> {
  const bodies = commentBodies(title, blocks);
  const existing = (await host.listIssueComments(pullRequest))
    .map((comment) => ({ comment, part: partOf(comment.body) }))
    .filter((entry): entry is { comment: (typeof entry)["comment"]; part: number } => entry.part !== null && entry.comment.authorType === "Bot")
    .sort((a, b) => a.part - b.part || a.comment.id - b.comment.id);

  const result: CommentResult = { created: 0, updated: 0, unchanged: 0, deleted: 0, ids: [] };
  const byPart = new Map<number, (typeof existing)[number]["comment"]>();
  const surplus: number[] = [];
  for (const { comment, part } of existing) {
    if (byPart.has(part) || part > bodies.length) surplus.push(comment.id);
    else byPart.set(part, comment);
  }

  for (const [index, body] of bodies.entries()) {
    const current = byPart.get(index + 1);
    if (current === undefined) {
      const created = await host.createIssueComment(pullRequest, body);
      result.created++;
      result.ids.push(created.id);
    } else if (current.body !== body) {
      await host.updateIssueComment(current.id, body);
      result.updated++;
      result.ids.push(current.id);
    } else {
      result.unchanged++;
      result.ids.push(current.id);
    }
  }
  for (const id of surplus) {
    await host.deleteIssueComment(id);
    result.deleted++;
  }
  return result;
}

/** Builds the comment bodies of a plan: one, or several numbered parts when it is too long. */
export function commentBodies(title: string, blocks: readonly MarkdownBlock[]): string[] {
  const pages = paginateMarkdown(blocks, COMMENT_LIMIT - HEADER_ROOM - textSize(title));
  return pages.map((page, index) => {
    const heading = pages.length === 1 ? `### wid: ${title}` : `### wid: ${title} (part ${index + 1} of ${pages.length})`;
    return `${COMMENT_MARKER_PREFIX}${index + 1} -->\n${heading}\n\n${page}`;
  });
}

function partOf(body: string): number | null {
  if (!body.startsWith(COMMENT_MARKER_PREFIX)) return null;
  const match = /^(\d{1,4}) -->/.exec(body.slice(COMMENT_MARKER_PREFIX.length));
  return match === null ? null : Number(match[1]);
}
