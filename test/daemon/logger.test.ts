import { describe, expect, it } from "vitest";

import { REDACTED, secretMasker } from "../../src/log/logger.js";
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
});
