/**
 * A local stand-in for Google's Security Token Service (`sts.googleapis.com/v1/token`),
 * the endpoint that Google's client libraries call with the token of an
 * `external_account` credential configuration. No real server of it can run locally.
 *
 * What it models, for one workload identity pool provider of type OIDC:
 * - the token exchange request (RFC 8693) as Google's libraries send it, form-encoded
 *   or JSON: `grant_type` token-exchange, `requested_token_type` access_token,
 *   `subject_token_type` jwt, `audience` and `scope`;
 * - that `audience` names the pool provider;
 * - the checks of the subject token. The signature must match the provider's JWKS,
 *   given as content (like a provider with uploaded JWKS) or as a URL. `iss` must equal
 *   the provider's issuer and `aud` must name the provider. `exp` must not have passed,
 *   the lifetime must be at most 24 hours, and `sub` at most 127 bytes, because it
 *   becomes `google.subject`;
 * - a success response with an opaque access token, and `400 invalid_grant` or
 *   `400 invalid_request` errors with `error_description`.
 *
 * What it does not model: attribute conditions and other attribute mappings, IAM
 * policy bindings (every valid token gets an access token regardless of permissions),
 * service account impersonation, the `options` parameter, quotas, and the exact wording
 * of Google's error descriptions. Its access tokens work nowhere else.
 */

import { createServer } from "node:http";
import type { IncomingMessage } from "node:http";

import type { JSONWebKeySet, JWTPayload } from "jose";
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify } from "jose";

const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt";
const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";
const MAX_LIFETIME_SECONDS = 86_400;

export interface FakeStsOptions {
  /** The provider's issuer URI; `iss` must equal it. */
  issuer: string;
  /** The provider's audience, `//iam.googleapis.com/projects/…/providers/…`. */
  audience: string;
  /** The JWKS to verify with: its content, or a URL to fetch it from. */
  jwks: JSONWebKeySet | URL;
}

/** One successful exchange. */
export interface Exchange {
  claims: JWTPayload;
  kid: string | undefined;
  scope: string;
  accessToken: string;
}

export interface FakeSts {
  /** `http://127.0.0.1:PORT/v1/token`, for the credential configuration's `token_url`. */
  tokenUrl: string;
  exchanges: Exchange[];
  /** Error descriptions of rejected requests, in order. */
  rejections: string[];
  stop(): Promise<void>;
}

/** Starts the fake STS on a free port of 127.0.0.1. */
export async function startFakeGoogleSts(options: FakeStsOptions): Promise<FakeSts> {
  const keys = options.jwks instanceof URL ? createRemoteJWKSet(options.jwks) : createLocalJWKSet(options.jwks);
  const exchanges: Exchange[] = [];
  const rejections: string[] = [];

  const server = createServer((request, response) => {
    const reply = (status: number, body: unknown): void => {
      response.writeHead(status, { "Content-Type": "application/json" });
      response.end(JSON.stringify(body));
    };
    const reject = (error: "invalid_request" | "invalid_grant", description: string): void => {
      rejections.push(description);
      reply(400, { error, error_description: description });
    };

    if (request.method !== "POST" || new URL(request.url ?? "/", "http://localhost").pathname !== "/v1/token") {
      reply(404, { error: "not_found" });
      return;
    }
    readParameters(request).then(async (parameters) => {
      if (parameters.get("grant_type") !== TOKEN_EXCHANGE) return reject("invalid_request", "grant_type must be token-exchange");
      if (parameters.get("requested_token_type") !== ACCESS_TOKEN_TYPE) return reject("invalid_request", "requested_token_type must be access_token");
      if (parameters.get("subject_token_type") !== JWT_TYPE) return reject("invalid_request", "subject_token_type must be jwt");
      if (parameters.get("audience") !== options.audience) return reject("invalid_request", `audience ${parameters.get("audience") ?? ""} is not the pool provider`);

      let verified: Awaited<ReturnType<typeof jwtVerify>>;
      try {
        verified = await jwtVerify(parameters.get("subject_token") ?? "", keys, { issuer: options.issuer, audience: [options.audience, `https:${options.audience}`] });
      } catch (error) {
        return reject("invalid_grant", `subject token rejected: ${error instanceof Error ? error.message : String(error)}`);
      }
      const { payload, protectedHeader } = verified;
      if ((payload.exp ?? 0) - (payload.iat ?? 0) > MAX_LIFETIME_SECONDS) return reject("invalid_grant", "the token lifetime exceeds 24 hours");
      if (payload.sub === undefined || Buffer.byteLength(payload.sub) > 127) return reject("invalid_grant", "google.subject is missing or longer than 127 bytes");

      const accessToken = `fake-access-token-${exchanges.length + 1}`;
      exchanges.push({ claims: payload, kid: protectedHeader.kid, scope: parameters.get("scope") ?? "", accessToken });
      reply(200, { access_token: accessToken, issued_token_type: ACCESS_TOKEN_TYPE, token_type: "Bearer", expires_in: 3600 });
      return undefined;
    }, (error: unknown) => reject("invalid_request", String(error)));
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    tokenUrl: `http://127.0.0.1:${port}/v1/token`,
    exchanges,
    rejections,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function readParameters(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  const body = Buffer.concat(chunks).toString("utf8");
  if (!String(request.headers["content-type"] ?? "").includes("json")) return new URLSearchParams(body);

  const parameters = new URLSearchParams();
  const parsed: unknown = JSON.parse(body);
  if (typeof parsed === "object" && parsed !== null) {
    for (const [name, value] of Object.entries(parsed)) if (typeof value === "string") parameters.set(name, value);
  }
  return parameters;
}
