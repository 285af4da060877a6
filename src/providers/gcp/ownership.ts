/**
 * The ownership mark of the Google Cloud resources wid manages. Pools, providers and custom
 * roles have no labels, so the mark is the start of the description: "Managed by wid for
 * integration NAME." wid changes or deletes only resources whose description starts with
 * the mark of its own integration. A resource of the same ID without it is a conflict.
 * Writing the mark by hand into a resource's description hands that resource to wid,
 * which then overwrites it.
 */

const MARK_PATTERN = /^Managed by wid for integration ([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\./;

/** Google's limit on pool, provider and (as wid assumes) custom role descriptions, in characters. */
export const MAX_DESCRIPTION_LENGTH = 256;

/** Google's limit on pool and provider display names, in characters. */
export const MAX_DISPLAY_NAME_LENGTH = 32;

/** Google's limit on custom role titles, in UTF-8 bytes. */
export const MAX_TITLE_BYTES = 100;

/**
 * Builds the description wid writes: the ownership mark followed by `text`, cut to
 * {@link MAX_DESCRIPTION_LENGTH} characters with an ellipsis when it is longer.
 */
export function ownedDescription(integration: string, text: string | undefined): string {
  const mark = `Managed by wid for integration ${integration}.`;
  const full = text === undefined || text.trim() === "" ? mark : `${mark} ${text.trim()}`;
  const characters = [...full];
  return characters.length <= MAX_DESCRIPTION_LENGTH ? full : `${characters.slice(0, MAX_DESCRIPTION_LENGTH - 1).join("")}…`;
}

/** Returns the integration named by a description's ownership mark, or null when it has none. */
export function owningIntegration(description: string): string | null {
  return MARK_PATTERN.exec(description)?.[1] ?? null;
}

/** Cuts `text` to `max` characters. */
export function displayName(text: string, max: number = MAX_DISPLAY_NAME_LENGTH): string {
  return [...text].slice(0, max).join("");
}

/** Builds the title of an identity's custom role, cut to {@link MAX_TITLE_BYTES} bytes. */
export function roleTitle(identity: string): string {
  let title = `wid ${identity}`;
  while (Buffer.byteLength(title) > MAX_TITLE_BYTES) title = title.slice(0, -1);
  return title;
}
