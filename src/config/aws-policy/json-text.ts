import { parseDocument } from "yaml";

import { findTooDeepJson, MAX_NESTING_DEPTH, NESTING_DEPTH_MESSAGE } from "../depth.js";
import type { FindingSink, NodePath } from "../diagnostics.js";
import { duplicateKeyOffsets } from "../yaml-keys.js";
import { quote } from "../quote.js";
import { isRecord } from "../../json/record.js";

/**
 * Parses a policy written as a JSON string, such as in a `|` block. The text must be
 * strict JSON, and a key may appear only once in an object: JSON.parse would silently
 * keep the last of two `Condition` keys, so duplicates are found with the yaml parser.
 * Findings carry the offset inside the string, so they point at their line in the block.
 * `path` is where the string is in its document. The JSON may nest only as deep as the
 * document's nesting limit leaves room for below that path.
 * Returns undefined when the text is not a JSON object without duplicate keys.
 */
export function parsePolicyJson(text: string, sink: FindingSink, path: NodePath): Record<string, unknown> | undefined {
  // The string sits at level path.length + 1 of its document, so its JSON counts from there.
  if (findTooDeepJson(text, MAX_NESTING_DEPTH - path.length) !== undefined) {
    sink.error(path, "nesting-depth", NESTING_DEPTH_MESSAGE);
    return undefined;
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const offset = syntaxErrorOffset(text, reason);
    // The diagnostic's line and column replace the offset that V8 names.
    const problem = reason.replace(/ in JSON at position [0-9]+.*$/, "");
    sink.error(path, "aws-policy-json", `is a string but not valid JSON (${quote(problem, { json: false })}); write the policy as a YAML mapping or fix the JSON`, offset === undefined ? {} : { offset });
    return undefined;
  }
  if (!isRecord(parsed)) {
    sink.error(path, "aws-policy-json", "must hold a JSON object with Version and Statement");
    return undefined;
  }

  const duplicates = duplicateKeyOffsets(parseDocument(text, { uniqueKeys: false, merge: false }).contents);
  for (const offset of duplicates) {
    sink.error(path, "aws-policy-duplicate-key", "has a key that appears twice in one JSON object; IAM would keep only one of them, so remove or merge the other", { offset });
  }
  return duplicates.length > 0 ? undefined : parsed;
}

/**
 * Finds where JSON.parse gave up: V8 names the position for most errors, and the yaml
 * parser, which reads JSON as YAML flow style, locates most of the others.
 */
function syntaxErrorOffset(text: string, reason: string): number | undefined {
  const position = /at position ([0-9]+)/.exec(reason)?.[1];
  if (position !== undefined) return Number(position);
  return parseDocument(text).errors[0]?.pos[0];
}
