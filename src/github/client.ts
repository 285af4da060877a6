import { App, Octokit } from "octokit";
import type { Logger } from "pino";

/** The credentials of a GitHub App. */
export interface GithubAppCredentials {
  /** The App's ID (or client ID), the `iss` of the JWTs wid signs. */
  appId: string | number;
  /** The App's private key, PEM (PKCS#1 as GitHub generates it, or PKCS#8). */
  privateKey: string;
}

/** Times a rate-limited request is retried after GitHub's `retry-after` delay. */
const RATE_LIMIT_RETRIES = 2;

/** Creates an octokit client that sends `token` to the REST API at `apiUrl`. */
export function createTokenOctokit(apiUrl: string, token: string, logger: Logger): Octokit {
  const Client = octokitClass(apiUrl, logger);
  return new Client({ auth: token });
}

/**
 * Returns a function that creates octokit clients authenticated as one installation of
 * the App. Octokit signs a short-lived JWT with the private key, exchanges it for an
 * installation token, and caches that token until shortly before it expires.
 */
export function createInstallationOctokitFactory(apiUrl: string, credentials: GithubAppCredentials, logger: Logger): (installationId: number) => Promise<Octokit> {
  const app = new App({
    appId: credentials.appId,
    privateKey: credentials.privateKey,
    Octokit: octokitClass(apiUrl, logger),
    log: octokitLog(logger),
  });
  return async (installationId) => (await app.getInstallationOctokit(installationId)) as Octokit;
}

function octokitClass(apiUrl: string, logger: Logger): typeof Octokit {
  return Octokit.defaults({
    baseUrl: apiUrl,
    userAgent: "wid",
    log: octokitLog(logger),
    throttle: {
      onRateLimit: (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) => {
        logger.warn({ retryAfter, retryCount }, "github rate limit reached");
        return retryCount < RATE_LIMIT_RETRIES;
      },
      onSecondaryRateLimit: (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) => {
        logger.warn({ retryAfter, retryCount }, "github secondary rate limit reached");
        return retryCount < RATE_LIMIT_RETRIES;
      },
    },
  });
}

/**
 * Octokit's log, forwarded to pino. Its debug and info lines are dropped: they are
 * request traces that add nothing to wid's own lines.
 */
function octokitLog(logger: Logger): { debug: () => void; info: () => void; warn: (message: string) => void; error: (message: string) => void } {
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: (message) => logger.warn({ detail: String(message) }, "github client warning"),
    error: (message) => logger.error({ detail: String(message) }, "github client error"),
  };
}
