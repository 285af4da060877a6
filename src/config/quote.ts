/**
 * Maximum number of characters of a user value that a message repeats. Longer values
 * are cut and end in an ellipsis, so that a 900 KB value gives a short diagnostic.
 */
export const MAX_QUOTED_CHARACTERS = 120;

/**
 * Formats a value from the user's input for a message, cut to
 * {@link MAX_QUOTED_CHARACTERS} characters. By default the value is written as JSON, so
 * a string is in double quotes with control characters escaped. With `json: false` a
 * string is written as it is, such as a path or a key that follows other words.
 */
export function quote(value: unknown, options: { json?: boolean } = {}): string {
  if (typeof value === "string") {
    const cut = cutText(value);
    if (options.json === false) return cut === value ? value : `${cut}…`;
    return cut === value ? JSON.stringify(value) : `${JSON.stringify(cut).slice(0, -1)}…"`;
  }
  const text = JSON.stringify(value) ?? String(value);
  const cut = cutText(text);
  return cut === text ? text : `${cut}…`;
}

/** Cuts `text` to the limit, never between the two halves of a surrogate pair. */
function cutText(text: string): string {
  if (text.length <= MAX_QUOTED_CHARACTERS) return text;
  const last = text.charCodeAt(MAX_QUOTED_CHARACTERS - 1);
  const end = last >= 0xd800 && last <= 0xdbff ? MAX_QUOTED_CHARACTERS - 1 : MAX_QUOTED_CHARACTERS;
  return text.slice(0, end);
}
