import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

import { Ajv2020 } from "ajv/dist/2020.js";
import type { ErrorObject } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

const SCHEMA_DIR = path.resolve("schemas");
const EXAMPLE_DIR = path.resolve("examples/config-repo");
const SCHEMA_FILES = readdirSync(SCHEMA_DIR).filter((file) => file.endsWith(".schema.json"));

type Schema = Record<string, unknown>;

function readSchema(file: string): Schema {
  return JSON.parse(readFileSync(path.join(SCHEMA_DIR, file), "utf8")) as Schema;
}

/** Returns an ajv 2020-12 instance in strict mode with every schema, addressed by file name as editors resolve them. */
function schemaAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true, allowUnionTypes: true });
  ajv.addKeyword({ keyword: "x-message", schemaType: "string" });
  for (const file of SCHEMA_FILES) ajv.addSchema({ ...readSchema(file), $id: `https://schemas.wid.invalid/${file}` });
  return ajv;
}

function exampleFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name.startsWith(".") ? [] : exampleFiles(full);
    return /\.ya?ml$/.test(entry.name) ? [full] : [];
  });
}

/** Properties whose schema has no description, directly or through the definition it references. */
function undocumentedProperties(file: string, schemas: ReadonlyMap<string, Schema>): string[] {
  const missing: string[] = [];
  const resolve = (ref: string): Schema | undefined => {
    const [target = "", pointer = ""] = ref.split("#");
    const document = target === "" ? schemas.get(file) : schemas.get(target);
    return pointer
      .split("/")
      .filter((part) => part !== "")
      .reduce<unknown>((node, part) => (node as Schema | undefined)?.[part], document) as Schema | undefined;
  };
  const walk = (node: unknown, at: string): void => {
    if (typeof node !== "object" || node === null) return;
    const schema = node as Schema;
    for (const [name, property] of Object.entries((schema.properties as Record<string, Schema> | undefined) ?? {})) {
      const described = typeof property.description === "string" || (typeof property.$ref === "string" && typeof resolve(property.$ref)?.description === "string");
      if (!described) missing.push(`${file}${at}/${name}`);
      walk(property, `${at}/${name}`);
    }
    for (const key of ["items", "additionalProperties", "then"]) walk(schema[key], `${at}/${key}`);
    for (const [name, definition] of Object.entries((schema.$defs as Record<string, Schema> | undefined) ?? {})) walk(definition, `${at}/$defs/${name}`);
    for (const branch of [...((schema.allOf as unknown[] | undefined) ?? []), ...((schema.oneOf as unknown[] | undefined) ?? [])]) walk(branch, at);
  };
  walk(schemas.get(file), "");
  return missing;
}

describe("schemas", () => {
  it("finds every schema file", () => {
    expect(SCHEMA_FILES.sort()).toEqual([
      "common.schema.json",
      "config.schema.json",
      "integration.schema.json",
      "settings.schema.json",
      "status.schema.json",
      "workload-identity.schema.json",
      "workload.schema.json",
    ]);
  });

  it.each(SCHEMA_FILES)("compiles %s with ajv 2020-12", (file) => {
    const ajv = schemaAjv();

    expect(readSchema(file).$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(() => ajv.compile({ $ref: `https://schemas.wid.invalid/${file}` })).not.toThrow();
  });

  it.each(SCHEMA_FILES)("documents every property of %s", (file) => {
    const schemas = new Map(SCHEMA_FILES.map((name) => [name, readSchema(name)]));

    expect(undocumentedProperties(file, schemas)).toEqual([]);
  });

  it("validates every example document", () => {
    const validate = schemaAjv().getSchema("https://schemas.wid.invalid/config.schema.json");
    const files = exampleFiles(EXAMPLE_DIR);
    let documents = 0;

    for (const file of files) {
      for (const document of parseAllDocuments(readFileSync(file, "utf8"), { schema: "core" })) {
        const value: unknown = document.toJS();
        const valid = validate?.(value);
        expect({ file: path.relative(EXAMPLE_DIR, file), valid, errors: validate?.errors ?? null }).toEqual({ file: path.relative(EXAMPLE_DIR, file), valid: true, errors: null });
        documents++;
      }
    }
    expect(documents).toBeGreaterThanOrEqual(19);
  });
});

interface NegativeCase {
  name: string;
  document: Record<string, unknown>;
  keyword: string;
  instancePath: string;
}

const identitySpec = { provider: "aws", integration: "aws-prod", scope: { projects: ["shop"] }, aws: { policy: { Version: "2012-10-17", Statement: [] } } };
const identity = (spec: Record<string, unknown>): Record<string, unknown> => ({ apiVersion: "wid/v1", kind: "WorkloadIdentity", metadata: { name: "reader" }, spec: { ...identitySpec, ...spec } });
const awsIntegration = (aws: Record<string, unknown>): Record<string, unknown> => ({ apiVersion: "wid/v1", kind: "Integration", metadata: { name: "aws-prod" }, spec: { provider: "aws", aws } });

const negativeCases: NegativeCase[] = [
  { name: "unknown kind", document: { apiVersion: "wid/v1", kind: "Workloads" }, keyword: "enum", instancePath: "/kind" },
  { name: "unknown apiVersion", document: { apiVersion: "wid/v2", kind: "Workload" }, keyword: "const", instancePath: "/apiVersion" },
  { name: "account ID as a number", document: awsIntegration({ accountId: 54238437032 }), keyword: "type", instancePath: "/spec/aws/accountId" },
  { name: "account ID of 11 digits", document: awsIntegration({ accountId: "12345678901" }), keyword: "pattern", instancePath: "/spec/aws/accountId" },
  { name: "role path without slash", document: awsIntegration({ accountId: "123456789012", rolePath: "wid" }), keyword: "pattern", instancePath: "/spec/aws/rolePath" },
  { name: "role path of two slashes", document: awsIntegration({ accountId: "123456789012", rolePath: "//" }), keyword: "pattern", instancePath: "/spec/aws/rolePath" },
  {
    name: "issuer with trailing slash",
    document: { apiVersion: "wid/v1", kind: "Settings", spec: { issuer: "https://oidc.example.com/" } },
    keyword: "pattern",
    instancePath: "/spec/issuer",
  },
  { name: "issuer over http", document: { apiVersion: "wid/v1", kind: "Settings", spec: { issuer: "http://oidc.example.com" } }, keyword: "pattern", instancePath: "/spec/issuer" },
  { name: "empty tags", document: identity({ scope: { projects: ["shop"], tags: [] } }), keyword: "minItems", instancePath: "/spec/scope/tags" },
  { name: "empty projects", document: identity({ scope: { projects: [] } }), keyword: "oneOf", instancePath: "/spec/scope/projects" },
  { name: "identity name with capitals", document: { ...identity({}), metadata: { name: "Reader" } }, keyword: "pattern", instancePath: "/metadata/name" },
  { name: "identity name of 64 characters", document: { ...identity({}), metadata: { name: "a".repeat(64) } }, keyword: "maxLength", instancePath: "/metadata/name" },
  { name: "block of the other provider", document: identity({ gcp: { permissions: ["storage.objects.get"] } }), keyword: "not", instancePath: "/spec" },
  { name: "missing aws block", document: identity({ aws: undefined }), keyword: "required", instancePath: "/spec" },
  {
    name: "unknown workload field",
    document: { apiVersion: "wid/v1", kind: "Workload", metadata: { name: "api", project: "shop" }, spec: { type: "service", tag: ["s3"] } },
    keyword: "additionalProperties",
    instancePath: "/spec",
  },
  {
    name: "workload type",
    document: { apiVersion: "wid/v1", kind: "Workload", metadata: { name: "api", project: "shop" }, spec: { type: "daemon" } },
    keyword: "enum",
    instancePath: "/spec/type",
  },
  {
    name: "pool ID too short",
    document: { apiVersion: "wid/v1", kind: "Integration", metadata: { name: "gcp-prod" }, spec: { provider: "gcp", gcp: { projectId: "acme-prod", projectNumber: "1", poolId: "wid" } } },
    keyword: "pattern",
    instancePath: "/spec/gcp/poolId",
  },
];

describe("schema negative cases", () => {
  const validate = schemaAjv().getSchema("https://schemas.wid.invalid/config.schema.json");

  it.each(negativeCases)("$name", ({ document, keyword, instancePath }) => {
    const valid = validate?.(JSON.parse(JSON.stringify(document)));
    const errors: ErrorObject[] = validate?.errors ?? [];

    expect(valid).toBe(false);
    expect(errors.map((error) => [error.keyword, error.instancePath])).toContainEqual([keyword, instancePath]);
  });
});
