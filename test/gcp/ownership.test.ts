import { describe, expect, it } from "vitest";

import { issuerDigest } from "../../src/providers/ownership.js";
import { MAX_DESCRIPTION_LENGTH, ownedDescription, readMark, roleTitle } from "../../src/providers/gcp/ownership.js";

const ISSUER = "https://oidc.example.com";

describe("ownership mark", () => {
  it("starts the description and names the integration and issuer", () => {
    const description = ownedDescription("gcp-prod", ISSUER, "Read the uploads bucket");
    expect(issuerDigest(ISSUER)).toMatch(/^[0-9a-f]{16}$/);
    expect(description).toBe(`Managed by wid for integration gcp-prod, issuer ${issuerDigest(ISSUER)}. Read the uploads bucket`);
    expect(readMark(description)).toEqual({ integration: "gcp-prod", issuer: issuerDigest(ISSUER) });
  });

  it("reads a mark without an issuer", () => {
    expect(readMark("Managed by wid for integration gcp-prod. Read the uploads bucket")).toEqual({ integration: "gcp-prod", issuer: null });
  });

  it("is absent from other descriptions", () => {
    expect(readMark("Read the uploads bucket. Managed by wid for integration gcp-prod.")).toBeNull();
    expect(readMark("Managed by wid for integration gcp-prod, issuer xyz.")).toBeNull();
    expect(readMark("")).toBeNull();
  });

  it("survives a description cut to Google's limit", () => {
    const description = ownedDescription("gcp-prod", ISSUER, "ä".repeat(400));
    expect([...description]).toHaveLength(MAX_DESCRIPTION_LENGTH);
    expect(description.endsWith("…")).toBe(true);
    expect(readMark(description)?.integration).toBe("gcp-prod");
  });

  it("gives role titles within 100 bytes", () => {
    expect(roleTitle("reader")).toBe("wid reader");
    expect(Buffer.byteLength(roleTitle("a".repeat(120)))).toBe(100);
  });
});
