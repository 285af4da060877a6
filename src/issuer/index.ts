/**
 * The public library API of wid's OIDC issuer, imported as `wid/issuer`: the discovery
 * and JWKS routes for another HTTP server, the key sources they read, token minting and
 * verification. The package exports only this module and `wid/github`; other modules
 * are internal and may change in any release.
 */

export type { IssuerRequestHandler, IssuerRoutesOptions } from "./routes.js";
export { createIssuerRoutes } from "./routes.js";
export type { KeySetSource } from "./key-source.js";
export { FileKeySetSource, StaticKeySetSource } from "./key-source.js";
export { parseKeySet } from "./key-file.js";
export type { KeySet, KeyState, SigningAlgorithm, SigningKey } from "./key-set.js";
export { keyState, signingKey } from "./key-set.js";
export type { MintedToken, TokenRequest } from "./token.js";
export { TokenSigner } from "./token.js";
export type { VerifiedToken, VerifyOptions } from "./verify.js";
export { verifyIssuerToken } from "./verify.js";
export { IssuerError } from "./errors.js";
