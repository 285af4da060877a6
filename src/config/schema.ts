import { readFileSync } from "node:fs";

import { Ajv2020 } from "ajv/dist/2020.js";
import type { ErrorObject, ValidateFunction } from "ajv/dist/2020.js";

import type { NodePath } from "./diagnostics.js";
import type { FindingSink } from "./diagnostics.js";
import { didYouMean } from "./suggest.js";
import { quote } from "./quote.js";

/** Folder of the JSON Schemas shipped with the package, the public contract of the file formats. */
export const SCHEMA_DIR = new URL("../../schemas/", import.meta.url);

export const DOCUMENT_KINDS = ["Settings", "Integration", "WorkloadIdentity", "Workload"] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

const SCHEMA_FILES: Record<DocumentKind | "Status", string> = {
  Settings: "settings.schema.json",
  Integration: "integration.schema.json",
  WorkloadIdentity: "workload-identity.schema.json",
  Workload: "workload.schema.json",
  Status: "status.schema.json",
};

/**
 * The compiled schemas. Compiling takes tens of milliseconds, so one instance is created
 * on first use and shared.
 */
export class SchemaSet {
  private readonly validators: Map<string, ValidateFunction>;

  private constructor(validators: Map<string, ValidateFunction>) {
    this.validators = validators;
  }

  static load(): SchemaSet {
    const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true, verbose: true });
    // Annotation keyword holding the message for a failed pattern or format check.
    ajv.addKeyword({ keyword: "x-message", schemaType: "string" });
    ajv.addSchema(readSchema("common.schema.json"));
    const validators = new Map<string, ValidateFunction>();
    for (const [kind, file] of Object.entries(SCHEMA_FILES)) {
      validators.set(kind, ajv.compile(readSchema(file)));
    }
    return new SchemaSet(validators);
  }

  /** Validates a document of a known kind, reporting schema violations into `sink`. */
  validate(kind: DocumentKind | "Status", value: unknown, sink: FindingSink, sourceText: (path: NodePath) => string | undefined): boolean {
    const validate = this.validators.get(kind);
    if (validate === undefined) throw new Error(`no schema for kind ${kind}`);
    if (validate(value)) return true;
    reportSchemaErrors(validate.errors ?? [], sink, sourceText);
    return false;
  }
}

let shared: SchemaSet | undefined;

export function schemas(): SchemaSet {
  shared ??= SchemaSet.load();
  return shared;
}

function readSchema(file: string): Record<string, unknown> {
  const schema = JSON.parse(readFileSync(new URL(file, SCHEMA_DIR), "utf8")) as Record<string, unknown>;
  // The files carry no $id so that editors resolve their relative $refs next to them;
  // ajv needs one to resolve the same references.
  return { ...schema, $id: `https://schemas.wid.invalid/${file}` };
}

/**
 * Turns ajv errors into findings that say what is wrong in the user's terms. Errors that
 * only restate a nested error (`if`, `allOf`, the branches of a `oneOf`) are dropped, and
 * each node gets at most one finding per keyword.
 */
function reportSchemaErrors(errors: readonly ErrorObject[], sink: FindingSink, sourceText: (path: NodePath) => string | undefined): void {
  const oneOfPaths = errors.filter((error) => error.keyword === "oneOf").map((error) => error.schemaPath);
  const seen = new Set<string>();

  for (const error of errors) {
    if (error.keyword === "if" || error.keyword === "allOf") continue;
    if (oneOfPaths.some((schemaPath) => error.schemaPath !== schemaPath && error.schemaPath.startsWith(schemaPath.replace(/\/oneOf$/, "/oneOf/")))) {
      continue;
    }
    const path = pointerToPath(error.instancePath);
    const key = `${error.instancePath}|${error.keyword}|${JSON.stringify(error.params)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    describeError(error, path, sink, sourceText);
  }
}

function describeError(error: ErrorObject, path: NodePath, sink: FindingSink, sourceText: (path: NodePath) => string | undefined): void {
  const params = error.params as Record<string, unknown>;
  const hint = typeof error.parentSchema?.["x-message"] === "string" ? (error.parentSchema["x-message"] as string) : undefined;

  switch (error.keyword) {
    case "required": {
      const missing = String(params.missingProperty);
      sink.error(path, "schema-required", `required field "${missing}" is missing`);
      return;
    }
    case "additionalProperties": {
      const extra = String(params.additionalProperty);
      const allowed = Object.keys((error.parentSchema?.properties as Record<string, unknown> | undefined) ?? {});
      sink.error([...path, extra], "schema-unknown-field", `unknown field${didYouMean(extra, allowed)}; allowed fields: ${allowed.join(", ")}`, {
        atKey: true,
      });
      return;
    }
    case "not": {
      // Only used to forbid the other provider's block, such as spec.gcp when provider is aws.
      sink.error(path, "schema-provider-mismatch", "contains the block of the other provider; keep only the block that matches spec.provider");
      return;
    }
    case "type": {
      sink.error(path, "schema-type", describeTypeError(String(params.type), error.data, sourceText(path)));
      return;
    }
    case "enum": {
      const allowed = (params.allowedValues as unknown[]).map((value) => String(value));
      sink.error(path, "schema-enum", `${quote(error.data)} is not allowed${didYouMean(String(error.data), allowed)}; use one of: ${allowed.join(", ")}`);
      return;
    }
    case "const": {
      sink.error(path, "schema-const", `must be ${JSON.stringify(params.allowedValue)}`);
      return;
    }
    case "minItems": {
      sink.error(path, "schema-min-items", hint ?? `must list at least ${String(params.limit)} item(s); omit the field instead of leaving it empty`);
      return;
    }
    case "maxItems": {
      sink.error(path, "schema-max-items", `lists more than the maximum of ${String(params.limit)} items`);
      return;
    }
    case "uniqueItems": {
      sink.error(path, "schema-duplicate-item", `items ${String(params.j)} and ${String(params.i)} are the same; remove the duplicate`);
      return;
    }
    case "minLength":
    case "maxLength": {
      const length = typeof error.data === "string" ? [...error.data].length : 0;
      const bound = error.keyword === "minLength" ? "at least" : "at most";
      sink.error(path, `schema-${error.keyword === "minLength" ? "too-short" : "too-long"}`, `must be ${bound} ${String(params.limit)} characters long (it is ${length})`);
      return;
    }
    case "pattern":
    case "oneOf": {
      const shown = typeof error.data === "string" ? `${quote(error.data)} ` : "";
      sink.error(path, "schema-format", `${shown}is invalid: ${hint ?? `must match ${String(params.pattern ?? "the schema")}`}`);
      return;
    }
    default:
      sink.error(path, `schema-${error.keyword}`, error.message ?? "is invalid");
  }
}

/**
 * A string field written without quotes is the most common schema error: YAML reads
 * `accountId: 054238437032` as the number 54238437032, silently dropping the zero.
 */
function describeTypeError(expected: string, data: unknown, source: string | undefined): string {
  const actual = data === null ? "null" : Array.isArray(data) ? "a list" : typeof data === "object" ? "a mapping" : `a ${typeof data}`;
  if (expected === "string" && (typeof data === "number" || typeof data === "boolean")) {
    const written = quote(source ?? String(data), { json: false });
    const changed = typeof data === "number" && written !== String(data) ? `, which YAML reads as ${String(data)}` : "";
    return `must be a string, but ${written} is written as ${actual}${changed}; quote it: "${written}"`;
  }
  const wanted = expected.split(",").map((type) => (type === "object" ? "a mapping" : type === "array" ? "a list" : `a ${type}`));
  return `must be ${wanted.join(" or ")}, not ${actual}`;
}

function pointerToPath(pointer: string): NodePath {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((segment) => segment.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((segment) => (/^(0|[1-9][0-9]*)$/.test(segment) ? Number(segment) : segment));
}
