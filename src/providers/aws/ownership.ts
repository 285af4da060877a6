import type { IssuerMatch } from "../ownership.js";
import { canonicalPolicy } from "../../config/aws-policy/canonical.js";
import { ISSUER_TAG } from "./tags.js";
import type { ObservedRole } from "./types.js";

/**
 * Tells whether an owned role belongs to this run's issuer. A role with the issuer tag
 * belongs to the issuer it names. A role without it was tagged by hand or by a wid that
 * did not mark the issuer. It counts as this issuer's only when its trust policy names
 * this issuer's OIDC provider as a federated principal.
 */
export function roleIssuer(role: ObservedRole, issuerDigest: string, providerArn: string): IssuerMatch {
  const tagged = role.tags[ISSUER_TAG];
  if (tagged !== undefined) return tagged === issuerDigest ? "this" : "other";
  return trustsProvider(role, providerArn) ? "this" : "unknown";
}

/** Tests whether any statement of the role's trust policy names `providerArn` as a federated principal. */
function trustsProvider(role: ObservedRole, providerArn: string): boolean {
  if (!role.trustPolicy.ok) return false;
  return canonicalPolicy(role.trustPolicy.value).Statement.some((statement) => {
    const principal = statement.Principal;
    if (principal === undefined || typeof principal === "string" || Array.isArray(principal)) return false;
    const federated = principal.Federated;
    return Array.isArray(federated) && federated.includes(providerArn);
  });
}
