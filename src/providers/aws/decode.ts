/** A policy document as read from IAM, with its text as received: the parsed JSON, or why it could not be parsed. */
export type DecodedDocument = { ok: true; value: unknown; text: string } | { ok: false; text: string; reason: string };

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

  // RFC 3986 encoding writes '+' as %2B, so a bare '+' can only be a space in form encoding.
  try {
    return parse(decodeURIComponent(trimmed.replaceAll("+", "%20")), text);
  } catch {
    return { ok: false, text, reason: "the document is neither JSON nor valid URL-encoded text" };
  }
}

function parse(json: string, original: string): DecodedDocument {
  try {
    return { ok: true, value: JSON.parse(json) as unknown, text: original };
  } catch (error) {
    return { ok: false, text: original, reason: `the document is not valid JSON (${error instanceof Error ? error.message : String(error)})` };
  }
}
