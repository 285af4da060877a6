/**
 * The request rules of the fake GitHub API (`fake-github.ts`): the limits and field
 * checks that make GitHub respond with 422. Each check returns the problem as GitHub's error
 * message would name it, or undefined when the input is valid.
 */

/** Limits GitHub applies, as its REST API documentation states them. */
export const LIMITS = {
  outputText: 65_535,
  annotationsPerRequest: 50,
  annotationTitle: 255,
  annotationMessageBytes: 64 * 1024,
  commentBody: 65_536,
  contentsApiFileBytes: 1024 * 1024,
} as const;

const CONCLUSIONS = ["action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out"];
const STATUSES = ["queued", "in_progress", "completed", "waiting", "requested", "pending"];
const LEVELS = ["notice", "warning", "failure"];

export function checkState(body: Record<string, unknown>, current: string): { status: string; conclusion: string | null } | string {
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

export function checkOutput(output: unknown): string | undefined {
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

export function checkCommentBody(body: unknown): string | undefined {
  if (!isObject(body) || typeof body.body !== "string") return "body wasn't supplied";
  if (characters(body.body) > LIMITS.commentBody) return `body is too long (maximum is ${LIMITS.commentBody} characters)`;
  return undefined;
}


export function isObject(value: unknown): value is Record<string, unknown> {
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
