import type { IncomingMessage, ServerResponse } from "node:http";

import type { Logger } from "pino";

import { requestPathname } from "../../http/request-path.js";
import { DISCOVERY_PATH, JWKS_PATH } from "../../issuer/discovery.js";
import type { KeySetSource } from "../../issuer/key-source.js";
import { createIssuerRoutes } from "../../issuer/routes.js";
import type { IssuerRequestHandler } from "../../issuer/routes.js";
import type { MountedHandler } from "./router.js";
import { sendJson } from "./router.js";

/**
 * The issuer's discovery document and JWKS on the daemon's HTTP server. The issuer URL
 * is `Settings.issuer` of the config the last run read, so the routes follow a change
 * of the issuer without a restart. Until a run has read valid Settings, the two
 * documents at their root paths get 503 and every other path falls through.
 */
export class IssuerMount {
  private issuer: string | undefined;
  private routes: IssuerRequestHandler | undefined;

  constructor(
    private readonly keys: KeySetSource,
    private readonly logger: Logger,
  ) {}

  /** Sets the issuer URL of the config; the routes are rebuilt when it changed. */
  setIssuer(issuer: string): void {
    if (issuer === this.issuer) return;
    this.issuer = issuer;
    this.routes = createIssuerRoutes(this.keys, { issuer }, { onError: (error) => this.logger.error({ err: error, keys: this.keys.description }, "issuer keys unavailable") });
    this.logger.info({ issuer }, "issuer routes published");
  }

  /** The handler to mount on the router. */
  readonly handle: MountedHandler = (request: IncomingMessage, response: ServerResponse): boolean => {
    if (this.routes !== undefined) return this.routes(request, response);
    const pathname = requestPathname(request);
    if (pathname !== DISCOVERY_PATH && pathname !== JWKS_PATH) return false;
    sendJson(response, 503, { error: "the issuer URL is not known until the first run has read the Settings document" });
    return true;
  };
}
