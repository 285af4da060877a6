import { describe, expect, it } from "vitest";

import { MAX_DESCRIPTION_LENGTH, ownedDescription, owningIntegration, roleTitle } from "../../src/providers/gcp/ownership.js";

describe("ownership mark", () => {
  it("starts the description and names the integration", () => {
    const description = ownedDescription("gcp-prod", "Read the uploads bucket");
    expect(description).toBe("Managed by wid for integration gcp-prod. Read the uploads bucket");
    expect(owningIntegration(description)).toBe("gcp-prod");
  });

  it("is absent from other descriptions", () => {
    expect(owningIntegration("Read the uploads bucket. Managed by wid for integration gcp-prod.")).toBeNull();
    expect(owningIntegration("")).toBeNull();
  });

  it("survives a description cut to Google's limit", () => {
    const description = ownedDescription("gcp-prod", "ä".repeat(400));
    expect([...description]).toHaveLength(MAX_DESCRIPTION_LENGTH);
    expect(description.endsWith("…")).toBe(true);
    expect(owningIntegration(description)).toBe("gcp-prod");
  });

  it("gives role titles within 100 bytes", () => {
    expect(roleTitle("reader")).toBe("wid reader");
    expect(Buffer.byteLength(roleTitle("a".repeat(120)))).toBe(100);
  });
});
