/**
 * The ownership mark of the Google Cloud resources wid manages. Pools, providers and custom
 * roles have no labels, so the mark is the start of the description: "Managed by wid for
 * integration NAME, issuer DIGEST." where DIGEST is `issuerDigest(Settings.issuer)`. wid
 * changes or deletes only resources whose description starts with a mark of its own
 * issuer. A resource of the same ID without a mark is a conflict, and so is one marked
 * for another issuer, which another config repository manages. Writing the mark by hand
 * into a resource's description hands that resource to wid, which then overwrites it.
 *
 * wid versions before the issuer part wrote "Managed by wid for integration NAME." Such
 * a mark is still read, with no issuer; wid rewrites it with the issuer the next time it
 * writes the resource.
 */

import { issuerDigest } from "../ownership.js";

const MARK_PATTERN = /^Managed by wid for integration ([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:, issuer ([0-9a-f]{16}))?\./;

/** What an ownership mark names. `issuer` is null in a mark written before wid marked the issuer. */
export interface OwnershipMark {
  integration: string;
  issuer: string | null;
}

/** Google's limit on pool, provider and (as wid assumes) custom role descriptions, in characters. */
export const MAX_DESCRIPTION_LENGTH = 256;

/** Google's limit on pool and provider display names, in characters. */
export const MAX_DISPLAY_NAME_LENGTH = 32;

/** Google's limit on custom role titles, in UTF-8 bytes. */
export const MAX_TITLE_BYTES = 100;

/** Builds the ownership mark of `integration` for the issuer URL `issuer`. */
export function ownershipMark(integration: string, issuer: string): string {
  return `Managed by wid for integration ${integration}, issuer ${issuerDigest(issuer)}.`;
}

/**
 * Builds the description wid writes: the ownership mark followed by `text`, cut to
 * {@link MAX_DESCRIPTION_LENGTH} characters with an ellipsis when it is longer.
 */
export function ownedDescription(integration: string, issuer: string, text: string | undefined): string {
  const mark = ownershipMark(integration, issuer);
  const full = text === undefined || text.trim() === "" ? mark : `${mark} ${text.trim()}`;
  const characters = [...full];
  return characters.length <= MAX_DESCRIPTION_LENGTH ? full : `${characters.slice(0, MAX_DESCRIPTION_LENGTH - 1).join("")}…`;
}

/** Reads the ownership mark at the start of a description, or returns null when it has none. */
export function readMark(description: string): OwnershipMark | null {
  const match = MARK_PATTERN.exec(description);
  if (match?.[1] === undefined) return null;
  return { integration: match[1], issuer: match[2] ?? null };
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
