import { createHash } from "node:crypto";

import type { AwsTag } from "./types.js";

/**
 * The ownership tag. wid changes or deletes only resources that carry it; a resource
 * of the same name without it is a conflict. Tagging a resource by hand with it lets
 * wid manage (and overwrite) that resource.
 */
export const OWNER_TAG: AwsTag = { Key: "wid:managed-by", Value: "wid" };

/** The integration that manages a role; a role of another integration is a conflict. */
export const INTEGRATION_TAG = "wid:integration";

/** The identity a role belongs to. */
export const IDENTITY_TAG = "wid:identity";

/**
 * The issuer whose tokens the role trusts, as `issuerDigest(Settings.issuer)`. Two config
 * repositories have two issuers, so a role tagged with another digest is a conflict even
 * when its integration tag names an integration of this repository. Roles written
 * before this tag existed lack it; see `roleIssuer` for how those are read.
 */
export const ISSUER_TAG = "wid:issuer-sha256";

/**
 * The first 16 hex digits of the sha256 of the role's description as wid last wrote it.
 * `GetAccountAuthorizationDetails` does not return descriptions, so this tag is how a
 * changed `metadata.description` is noticed without a `GetRole` per role.
 */
export const DESCRIPTION_TAG = "wid:description-sha256";

/** Tells whether tags carry wid's ownership tag. */
export function isOwned(tags: Readonly<Record<string, string>>): boolean {
  return tags[OWNER_TAG.Key] === OWNER_TAG.Value;
}

/** Returns the tags wid sets on an identity's role; `issuer` is the value of {@link ISSUER_TAG}. */
export function roleTags(integration: string, identity: string, description: string | null, issuer: string): AwsTag[] {
  return [
    OWNER_TAG,
    { Key: INTEGRATION_TAG, Value: integration },
    { Key: IDENTITY_TAG, Value: identity },
    { Key: ISSUER_TAG, Value: issuer },
    { Key: DESCRIPTION_TAG, Value: descriptionDigest(description) },
  ];
}

/** Returns the value of {@link DESCRIPTION_TAG} for a description; an absent description hashes as empty text. */
export function descriptionDigest(description: string | null): string {
  return createHash("sha256").update(description ?? "").digest("hex").slice(0, 16);
}

/** Tags as a record, from the SDK's list form. */
export function tagRecord(tags: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  for (const tag of tags ?? []) {
    if (tag.Key !== undefined) record[tag.Key] = tag.Value ?? "";
  }
  return record;
}
