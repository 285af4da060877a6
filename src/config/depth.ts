import type { NodePath } from "./diagnostics.js";

/**
 * Maximum nesting of mappings and lists in a document, counted from the top of the
 * document, whose own mapping is level 1. A policy written as a JSON string counts as
 * if it were written in YAML at its place, so both forms have the same limit. Real
 * documents need about 10 levels: the value lists of a policy's Condition are at level
 * 9. The limit keeps every recursive walk over user data far from the call stack's limit.
 */
export const MAX_NESTING_DEPTH = 64;

/** The message of a nesting that is deeper than {@link MAX_NESTING_DEPTH}. */
export const NESTING_DEPTH_MESSAGE = `nests mappings and lists more than ${MAX_NESTING_DEPTH} levels deep, counted from the top of the document; wid reads no deeper, so flatten the structure`;

/** A container on the walk's stack, with the link to its parent to rebuild its path. */
interface Frame {
  value: unknown;
  depth: number;
  key: string | number | undefined;
  parent: Frame | undefined;
}

/**
 * Returns the path of the first mapping or list that is nested more than `maxDepth`
 * levels deep in `value`, where `value` itself is level 1, or undefined when there is
 * none. Walks without recursion, so any depth is safe to check.
 */
export function findTooDeep(value: unknown, maxDepth: number = MAX_NESTING_DEPTH): NodePath | undefined {
  const stack: Frame[] = [{ value, depth: 1, key: undefined, parent: undefined }];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    if (typeof frame.value !== "object" || frame.value === null) continue;
    if (frame.depth > maxDepth) return pathOf(frame);
    const entries: [string | number, unknown][] = Array.isArray(frame.value) ? frame.value.map((item: unknown, index) => [index, item]) : Object.entries(frame.value);
    for (const [key, child] of entries) {
      if (typeof child === "object" && child !== null) stack.push({ value: child, depth: frame.depth + 1, key, parent: frame });
    }
  }
  return undefined;
}

function pathOf(frame: Frame): NodePath {
  const path: (string | number)[] = [];
  for (let current: Frame | undefined = frame; current?.key !== undefined; current = current.parent) path.push(current.key);
  return path.reverse();
}

/**
 * Returns the offset of the first `[` or `{` in JSON text that opens a level deeper than
 * `maxDepth`, or undefined when there is none. Characters inside strings are skipped.
 * Runs before the text is parsed, so that no parser recurses into a hostile nesting.
 */
export function findTooDeepJson(text: string, maxDepth: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === "\\") i++;
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
    } else if (char === "[" || char === "{") {
      depth++;
      if (depth > maxDepth) return i;
    } else if (char === "]" || char === "}") {
      depth--;
    }
  }
  return undefined;
}
