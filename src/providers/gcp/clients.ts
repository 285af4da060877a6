import { cloudresourcemanager } from "@googleapis/cloudresourcemanager";
import type { cloudresourcemanager_v3 } from "@googleapis/cloudresourcemanager";
import { auth as googleAuth, iam } from "@googleapis/iam";
import type { iam_v1 } from "@googleapis/iam";

import type { GcpEnvironment } from "./environment.js";

/** The OAuth scope wid requests: IAM and Resource Manager both accept it. */
export const CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform";

/** The two Google API clients the adapter uses. */
export interface GcpClients {
  iam: iam_v1.Iam;
  crm: cloudresourcemanager_v3.Cloudresourcemanager;
}

/** An auth client as the Google API libraries accept it. */
export type GcpAuth = NonNullable<iam_v1.Options["auth"]>;

/**
 * Creates a google-auth-library client for Application Default Credentials:
 * GOOGLE_APPLICATION_CREDENTIALS, then the gcloud user credentials, then the metadata
 * server. It comes from the API libraries' own copy of google-auth-library (through their
 * `auth` export), because they pin a version whose types differ from the top-level package.
 *
 * NOTE: google-auth-library sends the token exchange of an external account through a
 * client of its own without a time limit, so a token endpoint that never responds still stalls the run.
 */
export function applicationDefaultCredentials(): GcpAuth {
  return new googleAuth.GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE] });
}

/**
 * Creates an auth client that sends a fixed access token and never refreshes it, for
 * tests against a local fake. The token stays valid for `lifetimeMs` (default one day).
 */
export function staticTokenAuth(accessToken: string, lifetimeMs = 86_400_000): GcpAuth {
  const client = new googleAuth.OAuth2();
  client.setCredentials({ access_token: accessToken, expiry_date: Date.now() + lifetimeMs });
  return client;
}

/** Creates the IAM v1 and Resource Manager v3 clients, with endpoints and the request time limit from `environment`. */
export function createGcpClients(environment: GcpEnvironment, auth: GcpAuth): GcpClients {
  const timeout = environment.requestTimeoutMs;
  return {
    iam: iam({ version: "v1", auth, timeout, ...(environment.iamEndpoint !== undefined ? { rootUrl: environment.iamEndpoint } : {}) }),
    crm: cloudresourcemanager({ version: "v3", auth, timeout, ...(environment.crmEndpoint !== undefined ? { rootUrl: environment.crmEndpoint } : {}) }),
  };
}
