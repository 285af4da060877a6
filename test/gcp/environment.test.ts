import { describe, expect, it } from "vitest";

import { DEFAULT_OPERATION_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS, GcpEnvironmentError, readGcpEnvironment } from "../../src/providers/gcp/environment.js";

describe("readGcpEnvironment", () => {
  it("uses Google's endpoints and a two-minute timeout by default", () => {
    expect(readGcpEnvironment({})).toEqual({ iamEndpoint: undefined, crmEndpoint: undefined, operationTimeoutMs: DEFAULT_OPERATION_TIMEOUT_MS, requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS });
  });

  it("reads the endpoints and the timeout", () => {
    const environment = readGcpEnvironment({ WID_GCP_IAM_ENDPOINT: "http://127.0.0.1:8085", WID_GCP_CRM_ENDPOINT: "https://crm.internal/", WID_GCP_OPERATION_TIMEOUT_SECONDS: "30", WID_GCP_REQUEST_TIMEOUT_SECONDS: "15" });
    expect(environment).toEqual({ iamEndpoint: "http://127.0.0.1:8085/", crmEndpoint: "https://crm.internal/", operationTimeoutMs: 30_000, requestTimeoutMs: 15_000 });
  });

  it("names the variable of a malformed value", () => {
    expect(() => readGcpEnvironment({ WID_GCP_IAM_ENDPOINT: "127.0.0.1:8085" })).toThrow(GcpEnvironmentError);
    expect(() => readGcpEnvironment({ WID_GCP_CRM_ENDPOINT: "ftp://example.com" })).toThrow("WID_GCP_CRM_ENDPOINT must be an http or https URL, not ftp:");
    expect(() => readGcpEnvironment({ WID_GCP_OPERATION_TIMEOUT_SECONDS: "0" })).toThrow('WID_GCP_OPERATION_TIMEOUT_SECONDS="0" is invalid; give a number of seconds from 1 to 3600');
  });
});
