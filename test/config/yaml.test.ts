import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";

import { FindingSink } from "../../src/config/diagnostics.js";
import { parsePolicyJson } from "../../src/config/aws-policy/json-text.js";
import { parseConfigFile, toDiagnostic } from "../../src/config/yaml.js";
import { readCoreYaml } from "../../src/config/yaml-core.js";

/** Plain scalars whose type differs between YAML 1.1, js-yaml's defaults and the YAML 1.2 core schema. */
const SCALARS = [
  "054238437032", "0o14", "014", "0x1F", "0b101", "1_000", "+12", "-0", "1e3", "1.5", "+.5", ".5", "1.", "-.inf", ".Inf", ".NaN", "nan",
  "true", "True", "TRUE", "tRUE", "false", "yes", "no", "on", "off", "y", "n", "~", "null", "Null", "NULL", "2026-01-01", "12:30", "1:20:30", "=", "<<",
];

describe("readCoreYaml", () => {
  it.each(SCALARS)("reads %s as the yaml core schema does", (scalar) => {
    const fast = readCoreYaml(`value: ${scalar}\n`);
    const reference = parse(`value: ${scalar}\n`, { schema: "core", version: "1.2" }) as { value: unknown };

    expect(fast).toEqual([{ value: reference.value }]);
  });

  it("keeps yes, no and on as strings", () => {
    expect(readCoreYaml("a: yes\nb: no\nc: on\n")).toEqual([{ a: "yes", b: "no", c: "on" }]);
  });

  it("reads several documents", () => {
    expect(readCoreYaml("a: 1\n---\nb: [x, y]\n")).toEqual([{ a: 1 }, { b: ["x", "y"] }]);
  });

  it.each([
    ["anchors", "a: &x 1\nb: *x\n"],
    ["a directive", "%YAML 1.2\n---\na: 1\n"],
    ["a duplicate key", "a: 1\na: 2\n"],
    ["a syntax error", "a: [1\n"],
    ["an empty document", "a: 1\n---\n"],
    ["an unknown tag", "a: !!binary aGk=\n"],
  ])("leaves %s to the yaml package", (_, text) => {
    expect(readCoreYaml(text)).toBeUndefined();
  });
});

describe("parseConfigFile", () => {
  const text = "apiVersion: wid/v1\nkind: Workload\nmetadata:\n  name: api\n  project: shop\nspec:\n  type: service\n  tags: [s3, queue]\n";

  it("positions nodes of a fast-path file", () => {
    const [document] = parseConfigFile({ file: "w.yaml", text }).documents;

    expect(document?.position(["spec", "tags", 1])).toEqual({ line: 8, column: 14 });
    expect(document?.position(["metadata", "project"], { atKey: true })).toEqual({ line: 5, column: 3 });
    expect(document?.position(["spec", "missing", "deeper"])).toEqual({ line: 7, column: 3 });
  });

  it("positions documents after the first", () => {
    const { documents } = parseConfigFile({ file: "w.yaml", text: `${text}---\n${text}` });

    expect(documents[1]?.position(["spec", "type"])).toEqual({ line: 16, column: 9 });
  });

  it("gives the same positions on both paths", () => {
    // `&` sends the file to the yaml package, which positions it directly.
    const slow = parseConfigFile({ file: "w.yaml", text: `${text}# R&D\n` }).documents[0];
    const fast = parseConfigFile({ file: "w.yaml", text }).documents[0];

    expect(slow?.position(["spec", "tags", 1])).toEqual(fast?.position(["spec", "tags", 1]));
    expect(slow?.value).toEqual(fast?.value);
  });

  it("returns source text of scalars", () => {
    const [document] = parseConfigFile({ file: "i.yaml", text: "spec:\n  aws:\n    accountId: 054238437032\n" }).documents;

    expect(document?.sourceText(["spec", "aws", "accountId"])).toBe("054238437032");
  });

  it("reports duplicate keys with their position", () => {
    const result = parseConfigFile({ file: "d.yaml", text: "a: 1\nb:\n  c: 1\n  c: 2\n" });

    expect(result.documents).toEqual([]);
    expect(result.diagnostics.map((diagnostic) => [diagnostic.line, diagnostic.column, diagnostic.code])).toEqual([[4, 3, "yaml-duplicate-key"]]);
  });
});

describe("positions inside a JSON policy", () => {
  const header = "spec:\n  aws:\n    policy:";

  function positionOf(body: string, path: (string | number)[], offset?: number): { line: number; column: number } {
    const [document] = parseConfigFile({ file: "p.yaml", text: `${header}${body}` }).documents;
    const diagnostic = toDiagnostic(document as NonNullable<typeof document>, {
      path: ["spec", "aws", "policy", ...path],
      severity: "error",
      code: "x",
      message: "x",
      ...(offset !== undefined ? { offset } : {}),
    });
    return { line: diagnostic.line, column: diagnostic.column };
  }

  const block = ' |\n      {\n        "Statement": [\n          { "Action": ["s3:A", "s3:B"] }\n        ]\n      }\n';

  it("points into a literal block", () => {
    expect(positionOf(block, ["Statement", 0, "Action", 1])).toEqual({ line: 6, column: 32 });
    expect(positionOf(block, ["Statement", 0, "Action"])).toEqual({ line: 6, column: 23 });
  });

  it("points at a key inside a literal block", () => {
    const [document] = parseConfigFile({ file: "p.yaml", text: `${header}${block}` }).documents;
    const position = document?.position(["spec", "aws", "policy", "Statement", 0, "Action"], { atKey: true });

    expect(position).toEqual({ line: 6, column: 13 });
  });

  it("points into a one-line quoted string", () => {
    expect(positionOf(` '{"Statement": [{"Action": "s3:A"}]}'\n`, ["Statement", 0, "Action"])).toEqual({ line: 3, column: 40 });
  });

  it("falls back to the policy in a folded block", () => {
    expect(positionOf(' >\n      {"Statement": [\n      {"Action": "s3:A"}]}\n', ["Statement", 0, "Action"])).toEqual({ line: 3, column: 13 });
  });

  it("maps an offset inside the block", () => {
    const value = '{\n  "Statement": [\n    { "Action": ["s3:A", "s3:B"] }\n  ]\n}\n';

    expect(readCoreYaml(`${header}${block}`)).toEqual([{ spec: { aws: { policy: value } } }]);
    expect(positionOf(block, [], value.indexOf('"s3:B"'))).toEqual({ line: 6, column: 32 });
  });

  it("finds duplicate keys in JSON", () => {
    const sink = new FindingSink();
    const policy = parsePolicyJson('{"Version": "2012-10-17", "Version": "2012-10-17", "Statement": []}', sink, ["policy"]);

    expect(policy).toBeUndefined();
    expect(sink.findings.map((finding) => [finding.code, finding.offset])).toEqual([["aws-policy-duplicate-key", 26]]);
  });

  it("keeps the JSON value of a valid policy", () => {
    const sink = new FindingSink();
    const text = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}';

    expect(parsePolicyJson(text, sink, ["policy"])).toEqual(JSON.parse(text));
    expect(sink.findings).toEqual([]);
  });

  it("parses documents as the yaml package does", () => {
    const values = parseAllDocuments(`${header}${block}`).map((document) => document.toJS() as unknown);
    const [document] = parseConfigFile({ file: "p.yaml", text: `${header}${block}` }).documents;

    expect(document?.value).toEqual(values[0]);
  });
});
