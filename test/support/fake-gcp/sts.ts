/**
 * A minimal Security Token Service token exchange (`POST /v1/token`), so that a wid child
 * process can authenticate through Application Default Credentials with an
 * `external_account` configuration pointed at the fake. It checks the request's form but
 * not the subject token's signature, and always returns the fake's fixed access token.
 */

import { GoogleApiError } from "./errors.js";

const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";

/** Exchanges a token for the fake's access token; the request is `application/x-www-form-urlencoded` text. */
export function exchangeToken(formText: string, accessToken: string): Record<string, unknown> {
  const form = new URLSearchParams(formText);
  if (form.get("grant_type") !== TOKEN_EXCHANGE) throw new GoogleApiError("INVALID_ARGUMENT", `grant_type must be ${TOKEN_EXCHANGE}`);
  if ((form.get("subject_token") ?? "") === "") throw new GoogleApiError("INVALID_ARGUMENT", "subject_token is required");
  if (!(form.get("audience") ?? "").startsWith("//iam.googleapis.com/")) throw new GoogleApiError("INVALID_ARGUMENT", "audience must be the full resource name of a workload identity pool provider");
  return { access_token: accessToken, issued_token_type: "urn:ietf:params:oauth:token-type:access_token", token_type: "Bearer", expires_in: 3600 };
}
