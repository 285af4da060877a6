import type { FindingSink } from "./diagnostics.js";
import { formatDuration, parseDuration } from "./duration.js";
import { MAX_TOKEN_LIFETIME_SECONDS, MIN_TOKEN_LIFETIME_SECONDS } from "./model.js";
import { quote } from "./quote.js";

/**
 * Checks what the Settings schema cannot express: the issuer is a usable OIDC issuer URL
 * and the token lifetime is within bounds. Runs only on documents that passed the schema.
 */
export function validateSettingsSpec(spec: Record<string, unknown>, sink: FindingSink): void {
  const issuer = spec.issuer as string;
  let url: URL | undefined;
  try {
    url = new URL(issuer);
  } catch {
    sink.error(["spec", "issuer"], "settings-issuer", `${quote(issuer)} is not a valid URL; use a form such as https://oidc.example.com`);
  }
  if (url !== undefined) {
    if (url.username !== "" || url.password !== "") {
      sink.error(["spec", "issuer"], "settings-issuer", "must not contain a user name or password");
    }
    if (url.search !== "" || url.hash !== "" || issuer.includes("?") || issuer.includes("#")) {
      sink.error(["spec", "issuer"], "settings-issuer", "must not contain a query or fragment, because OIDC issuers are compared character for character");
    }
    if (url.port !== "") {
      sink.warning(["spec", "issuer"], "settings-issuer-port", "contains a port; AWS IAM OIDC providers expect an issuer URL without one");
    }
    if (url.href.replace(/\/$/, "") !== issuer) {
      sink.error(
        ["spec", "issuer"],
        "settings-issuer",
        `is not in canonical form (${url.href.replace(/\/$/, "")}); write it that way, because token issuers are compared character for character`,
      );
    }
  }

  if (typeof spec.tokenLifetime === "string") {
    const seconds = parseDuration(spec.tokenLifetime);
    if (seconds === undefined || seconds < MIN_TOKEN_LIFETIME_SECONDS || seconds > MAX_TOKEN_LIFETIME_SECONDS) {
      sink.error(
        ["spec", "tokenLifetime"],
        "settings-token-lifetime",
        `must be between ${formatDuration(MIN_TOKEN_LIFETIME_SECONDS)} and ${formatDuration(MAX_TOKEN_LIFETIME_SECONDS)}, such as 1h`,
      );
    }
  }
}
