import { describe, expect, it } from "vitest";

import { GcpCallError, readGoogleFailure, readOperationFailure, toGcpCallError } from "../../src/providers/gcp/errors.js";
import { CloudError } from "../../src/providers/types.js";

const CONTEXT = { integration: "gcp-prod", identity: "reader", call: "iam.projects.roles.create", resource: "projects/p/roles/wid_reader" };

/** Builds the shape of a GaxiosError for an HTTP error response, with the request config that contains the token. */
function gaxiosError(status: number, error: Record<string, unknown>): Error {
  return Object.assign(new Error(String(error.message)), {
    status,
    config: { headers: { Authorization: "Bearer secret-token" } },
    response: { status, data: { error } },
  });
}

describe("Google error conversion", () => {
  it("names the call, resource, identity and Google's status", () => {
    const converted = toGcpCallError(gaxiosError(409, { code: 409, status: "ALREADY_EXISTS", message: "Requested entity already exists" }), CONTEXT);
    expect(converted).toBeInstanceOf(CloudError);
    expect(converted.message).toBe(
      "iam.projects.roles.create on projects/p/roles/wid_reader failed for identity reader of integration gcp-prod with 409 ALREADY_EXISTS: Requested entity already exists. The next run reads the current state and retries",
    );
    expect(converted).toMatchObject({ kind: "conflict", provider: "gcp", integration: "gcp-prod", identity: "reader", code: "ALREADY_EXISTS", httpStatus: 409 });
  });

  it("never keeps the request config or its token", () => {
    const converted = toGcpCallError(gaxiosError(403, { code: 403, status: "PERMISSION_DENIED", message: "Permission 'iam.roles.create' denied" }), CONTEXT);
    expect(converted.kind).toBe("access-denied");
    expect(converted.cause).toBeUndefined();
    expect(JSON.stringify(converted)).not.toContain("secret-token");
    expect(converted.message).not.toContain("secret-token");
  });

  it("sorts network and credential errors", () => {
    const refused = Object.assign(new Error("request to http://127.0.0.1:9/v1 failed, reason: connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    expect(readGoogleFailure(refused)).toMatchObject({ kind: "unreachable", status: "ECONNREFUSED" });
    expect(readGoogleFailure(new Error("Could not load the default credentials. Browse to https://cloud.google.com/docs/authentication"))).toMatchObject({ kind: "credentials" });
  });

  it("reads a failed operation's status code", () => {
    expect(readOperationFailure({ code: 9, message: "the pool is deleted" })).toEqual({ kind: "invalid-request", httpStatus: null, status: "FAILED_PRECONDITION", message: "the pool is deleted" });
  });

  it("keeps an error that is already converted", () => {
    const converted = new GcpCallError({ kind: "other", httpStatus: null, status: null, message: "m" }, CONTEXT);
    expect(toGcpCallError(converted, { ...CONTEXT, call: "other" })).toBe(converted);
  });
});
