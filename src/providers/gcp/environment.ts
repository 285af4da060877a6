import { ExpectedError } from "../../errors/expected.js";

/**
 * The Google Cloud adapter's settings from the environment, read once at startup. The
 * config repository never sets endpoints or credentials; credentials always come from
 * Application Default Credentials.
 */

/** Environment variables the Google Cloud adapter reads. */
export const GCP_ENVIRONMENT_VARIABLES = {
  iamEndpoint: "WID_GCP_IAM_ENDPOINT",
  crmEndpoint: "WID_GCP_CRM_ENDPOINT",
  operationTimeout: "WID_GCP_OPERATION_TIMEOUT_SECONDS",
  requestTimeout: "WID_GCP_REQUEST_TIMEOUT_SECONDS",
} as const;

/** Default wait for a pool or provider operation: two minutes. */
export const DEFAULT_OPERATION_TIMEOUT_MS = 120_000;

/** Default time limit of one IAM or Resource Manager request: one minute, as for AWS. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

export interface GcpEnvironment {
  /**
   * Root URL of the IAM API, such as `http://127.0.0.1:8085`, or undefined for
   * `https://iam.googleapis.com/`. Set by WID_GCP_IAM_ENDPOINT.
   */
  iamEndpoint: string | undefined;
  /**
   * Root URL of the Cloud Resource Manager API, or undefined for
   * `https://cloudresourcemanager.googleapis.com/`. Set by WID_GCP_CRM_ENDPOINT.
   */
  crmEndpoint: string | undefined;
  /**
   * How long apply waits for one long-running operation before reporting the
   * integration failed, in milliseconds. WID_GCP_OPERATION_TIMEOUT_SECONDS, 1 to 3,600;
   * default {@link DEFAULT_OPERATION_TIMEOUT_MS}.
   */
  operationTimeoutMs: number;
  /**
   * Time limit of one IAM or Resource Manager request, so that a server that never responds
   * fails the call instead of stalling the run. WID_GCP_REQUEST_TIMEOUT_SECONDS, 1 to
   * 3,600; default {@link DEFAULT_REQUEST_TIMEOUT_MS}.
   */
  requestTimeoutMs: number;
}

/** An environment variable with a value wid cannot use. */
export class GcpEnvironmentError extends ExpectedError {
  readonly kind = "configuration";

  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = "GcpEnvironmentError";
  }
}

/** Reads {@link GcpEnvironment} from `env`, rejecting malformed values with the variable's name. */
export function readGcpEnvironment(env: Readonly<Record<string, string | undefined>>): GcpEnvironment {
  return {
    iamEndpoint: endpoint(env, GCP_ENVIRONMENT_VARIABLES.iamEndpoint),
    crmEndpoint: endpoint(env, GCP_ENVIRONMENT_VARIABLES.crmEndpoint),
    operationTimeoutMs: timeout(env, GCP_ENVIRONMENT_VARIABLES.operationTimeout, DEFAULT_OPERATION_TIMEOUT_MS),
    requestTimeoutMs: timeout(env, GCP_ENVIRONMENT_VARIABLES.requestTimeout, DEFAULT_REQUEST_TIMEOUT_MS),
  };
}

function endpoint(env: Readonly<Record<string, string | undefined>>, variable: string): string | undefined {
  const value = env[variable]?.trim();
  if (value === undefined || value === "") return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new GcpEnvironmentError(variable, `${variable}=${JSON.stringify(value)} is not a URL; set it to a root URL such as http://127.0.0.1:8085 or unset it`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new GcpEnvironmentError(variable, `${variable} must be an http or https URL, not ${url.protocol}`);
  }
  return url.href;
}

function timeout(env: Readonly<Record<string, string | undefined>>, variable: string, defaultMs: number): number {
  const value = env[variable]?.trim();
  if (value === undefined || value === "") return defaultMs;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > 3600) {
    throw new GcpEnvironmentError(variable, `${variable}=${JSON.stringify(value)} is invalid; give a number of seconds from 1 to 3600`);
  }
  return Math.round(seconds * 1000);
}
