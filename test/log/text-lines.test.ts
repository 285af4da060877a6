import { describe, expect, it } from "vitest";

import { commandLogFormat } from "../../src/cli/logger.js";
import { createLogger } from "../../src/log/logger.js";
import { textLine } from "../../src/log/text-lines.js";

/** Collects what a logger writes, one entry per line. */
function capture(): { lines: string[]; destination: { write: (line: string) => void } } {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(line) } };
}

describe("text log lines", () => {
  it("writes level, message and fields", () => {
    const line = textLine(JSON.stringify({ level: "warn", time: "2026-12-04T00:00:00.000Z", name: "wid", msg: "status file ignored", statusFile: ".wid/status.yaml", count: 2 }));
    expect(line).toBe("wid: warning: status file ignored (statusFile=.wid/status.yaml, count=2)\n");
  });

  it("quotes values with spaces", () => {
    const line = textLine(JSON.stringify({ level: "info", name: "wid", msg: "workload skipped", detail: "no identity for shop/api" }));
    expect(line).toBe('wid: info: workload skipped (detail="no identity for shop/api")\n');
  });

  it("puts the error message last", () => {
    const line = textLine(JSON.stringify({ level: "error", name: "wid", msg: "refresh failed", err: { type: "Error", message: "disk full", stack: "Error: disk full\n    at x" }, workload: "shop/api" }));
    expect(line).toBe('wid: error: refresh failed (workload=shop/api, error="disk full")\n');
  });

  it("keeps a line that is not JSON", () => {
    expect(textLine("plain text\n")).toBe("plain text\n");
  });

  it("masks secrets before formatting", () => {
    const { lines, destination } = capture();
    const logger = createLogger({ destination, format: "text", secrets: ["s3cr3t-value"] });
    logger.warn({ token: "abc.def.ghi", detail: "sent s3cr3t-value upstream" }, "request failed");
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain("s3cr3t-value");
    expect(lines[0]).not.toContain("abc.def.ghi");
    expect(lines[0]).toContain("wid: warning: request failed");
  });
});

describe("command log format", () => {
  it("uses text at a terminal", () => {
    expect(commandLogFormat({}, true)).toBe("text");
  });

  it("uses JSON elsewhere", () => {
    expect(commandLogFormat({}, false)).toBe("json");
  });

  it("follows WID_LOG_FORMAT", () => {
    expect(commandLogFormat({ WID_LOG_FORMAT: "json" }, true)).toBe("json");
    expect(commandLogFormat({ WID_LOG_FORMAT: "text" }, false)).toBe("text");
  });

  it("rejects an unknown format", () => {
    expect(() => commandLogFormat({ WID_LOG_FORMAT: "pretty" }, true)).toThrow("WID_LOG_FORMAT=pretty is invalid; use json or text");
  });
});
