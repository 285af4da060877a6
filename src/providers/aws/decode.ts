/** A policy document as read from IAM: the parsed JSON, or why it could not be parsed. */
export type DecodedDocument = { ok: true; value: unknown } | { ok: false; text: string; reason: string };

/**
 * Decodes a policy document returned by IAM. IAM returns documents URL-encoded
 * (RFC 3986) from most calls, and some emulators return them as plain JSON; both are
 * accepted. A document that is neither is returned with `ok: false`, so the caller
 * can report it as a difference instead of failing the whole observation.
 */
export function decodePolicyDocument(text: string | undefined): DecodedDocument {
  if (text === undefined || text === "") return { ok: false, text: "", reason: "the document is empty" };

  const trimmed = text.trim();
  if (trimmed.startsWith("{")) return parse(trimmed, text);

  let decoded: string;
  try {
    decoded = decodeURIComponent(trimmed);
  } catch {
    return { ok: false, text, reason: "the document is neither JSON nor valid URL-encoded text" };
  }
  const result = parse(decoded, text);
  if (result.ok || !trimmed.includes("+")) return result;

  // Form encoding writes a space as '+'; RFC 3986 encoding never leaves a bare '+'.
  return parse(decodeURIComponent(trimmed.replaceAll("+", "%20")), text);
}

function parse(json: string, original: string): DecodedDocument {
  try {
    return { ok: true, value: JSON.parse(json) as unknown };
  } catch (error) {
    return { ok: false, text: original, reason: `the document is not valid JSON (${error instanceof Error ? error.message : String(error)})` };
  }
}
