/**
 * Names of AWS resources in plans and outcomes, as `TYPE/NAME`. Offline and online
 * plans use the same names, so their output can be compared line by line.
 */

import { providerUrl } from "./trust.js";

/** Name of the one inline policy that holds an identity's `aws.policy`. */
export const POLICY_NAME = "wid-permissions";

export function oidcProviderResource(issuer: string): string {
  return `oidc-provider/${providerUrl(issuer)}`;
}

export function roleResource(roleName: string): string {
  return `role/${roleName}`;
}

export function rolePolicyResource(roleName: string, policyName: string = POLICY_NAME): string {
  return `role-policy/${roleName}/${policyName}`;
}
