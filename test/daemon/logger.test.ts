import { describe, expect, it } from "vitest";

import { GitOperationError } from "../../src/git/errors.js";
import { REDACTED, secretMasker } from "../../src/log/logger.js";
import { CloudError } from "../../src/providers/types.js";
import { captureLogger } from "./harness.js";

describe("daemon logger", () => {
  it("redacts secret keys at any depth", () => {
    const captured = captureLogger();

    captured.logger.info({ token: "t1", request: { headers: { authorization: "Bearer t2" } }, webhookSecret: "t3", nested: { password: "t4" } }, "request");

    const [entry] = captured.entries();
    expect(entry?.token).toBe(REDACTED);
    expect(entry?.webhookSecret).toBe(REDACTED);
    expect(entry?.nested).toEqual({ password: REDACTED });
    expect(captured.lines.join("")).not.toMatch(/t[1-4]"/);
  });

  it("strips credentials from URL fields", () => {
    const captured = captureLogger();

    captured.logger.info({ repo: "https://x-access-token:ghs_abc@github.com/acme/config.git", remote: "https://ghs_def@github.com/a.git" }, "start");

    const [entry] = captured.entries();
    expect(entry?.repo).toBe("https://github.com/acme/config.git");
    expect(entry?.remote).toBe("https://github.com/a.git");
  });

  it("strips credentials from error messages", () => {
    const captured = captureLogger();

    captured.logger.error({ err: new Error("fatal: unable to access 'https://user:pass123@git.example.com/config.git/'") }, "run failed");

    const [entry] = captured.entries();
    expect(JSON.stringify(entry?.err)).not.toContain("pass123");
    expect(JSON.stringify(entry?.err)).toContain("https://git.example.com/config.git/");
  });

  it("masks known secret values anywhere", () => {
    const captured = captureLogger({ secrets: ["s3cret-value", 'quo"ted\\secret'] });

    captured.logger.info({ detail: "header was s3cret-value", list: ["a", 'quo"ted\\secret'] }, "oops s3cret-value");

    const line = captured.lines.join("");
    expect(line).not.toContain("s3cret-value");
    expect(line).not.toContain('quo\\"ted\\\\secret');
    expect(captured.entries()[0]?.msg).toBe(`oops ${REDACTED}`);
  });

  it("leaves very short secrets alone", () => {
    const mask = secretMasker(["abc"]);

    expect(mask("abc def")).toBe("abc def");
  });

  it("logs an expected error without its stack", () => {
    const captured = captureLogger({ level: "info" });
    const error = new CloudError("no credentials for integration gcp-prod", { kind: "credentials", provider: "gcp", integration: "gcp-prod", call: "projects.get" }, new Error("Could not load the default credentials"));

    captured.logger.error({ err: error }, "integration could not be observed");

    const err = captured.entries()[0]?.err as Record<string, unknown> | undefined;
    expect(err?.stack).toBeUndefined();
    expect(err?.message).toBe("no credentials for integration gcp-prod");
    expect(err?.type).toBe("CloudError");
    expect(err?.kind).toBe("credentials");
    expect(err?.integration).toBe("gcp-prod");
    expect(err?.call).toBe("projects.get");
  });

  it("keeps the stack of an unexpected error", () => {
    const captured = captureLogger({ level: "info" });

    captured.logger.error({ err: new TypeError("cannot read properties of undefined") }, "run failed");

    const err = captured.entries()[0]?.err as Record<string, unknown> | undefined;
    expect(err?.type).toBe("TypeError");
    expect(err?.stack).toContain("TypeError: cannot read properties of undefined");
    expect(err?.stack).toContain("logger.test.ts");
  });

  it("keeps every stack at debug level", () => {
    const captured = captureLogger({ level: "debug" });

    captured.logger.error({ err: new GitOperationError("clone", "git clone failed: repository not found") }, "reconcile failed to start");

    const err = captured.entries()[0]?.err as Record<string, unknown> | undefined;
    expect(err?.kind).toBe("git");
    expect(err?.stack).toContain("GitOperationError: git clone failed");
  });

  it("logs a message string as an error without a stack", () => {
    const captured = captureLogger({ level: "info" });

    captured.logger.error({ err: "AccessDenied: not authorized" }, "resource failed");

    expect(captured.entries()[0]?.err).toEqual({ message: "AccessDenied: not authorized" });
  });
});
