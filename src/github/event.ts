import { ExpectedError } from "../errors/expected.js";
import type { JsonRecord } from "./json.js";
import { integerAt, isCommitSha, recordAt, stringAt } from "./json.js";

/** The parts of a `pull_request` event payload that a check needs. */
export interface PullRequestEvent {
  /** Pull request number, which is also its issue number for comments. */
  number: number;
  /** The commit at the tip of the pull request branch: the check run is posted on it. */
  headSha: string;
  /** The commit the base branch pointed at when the event was sent. */
  baseSha: string;
  /** The base branch name, such as `main`. */
  baseRef: string;
  /** `OWNER/NAME` of the repository the pull request belongs to. */
  repository: string;
}

/**
 * Reads the pull request of an event payload (`pull_request` or `pull_request_target`
 * events), or returns undefined when the payload has no `pull_request` object.
 * Throws when the object is there but lacks a field, because a check posted on the
 * wrong commit would never show on the pull request.
 */
export function readPullRequestEvent(payload: JsonRecord): PullRequestEvent | undefined {
  const pullRequest = recordAt(payload, "pull_request");
  if (pullRequest === undefined) return undefined;

  const number = integerAt(pullRequest, "number");
  const headSha = stringAt(recordAt(pullRequest, "head"), "sha");
  const base = recordAt(pullRequest, "base");
  const baseSha = stringAt(base, "sha");
  const baseRef = stringAt(base, "ref");
  const repository = stringAt(recordAt(payload, "repository"), "full_name") ?? stringAt(recordAt(base, "repo"), "full_name");

  if (number === undefined) throw new EventPayloadError("pull_request.number is missing or not an integer");
  if (!isCommitSha(headSha)) throw new EventPayloadError("pull_request.head.sha is missing or not a commit SHA");
  if (!isCommitSha(baseSha)) throw new EventPayloadError("pull_request.base.sha is missing or not a commit SHA");
  if (baseRef === undefined || baseRef === "") throw new EventPayloadError("pull_request.base.ref is missing");
  if (repository === undefined) throw new EventPayloadError("repository.full_name is missing");
  return { number, headSha, baseSha, baseRef, repository };
}

/** An event payload that lacks a field the check needs. */
export class EventPayloadError extends ExpectedError {
  readonly kind = "event-payload";

  constructor(message: string) {
    super(`invalid event payload: ${message}`);
    this.name = "EventPayloadError";
  }
}
