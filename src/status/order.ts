import { readFileSync } from "node:fs";

import { compareBytes } from "../text/order.js";
import { SCHEMA_DIR } from "../config/schema.js";

type SchemaNode = Record<string, unknown>;

/**
 * Rebuilds a status value with every object's keys in a fixed order: the order of
 * `properties` in `schemas/status.schema.json` for records, and byte order for maps
 * (`additionalProperties`). Equal states then serialize to equal text whatever order
 * the builder inserted fields in, so a no-op reconcile never produces a commit.
 */
export function orderByStatusSchema(value: unknown): unknown {
  const schema = statusSchema();
  return orderValue(value, schema, schema);
}

let cached: SchemaNode | undefined;

function statusSchema(): SchemaNode {
  cached ??= JSON.parse(readFileSync(new URL("status.schema.json", SCHEMA_DIR), "utf8")) as SchemaNode;
  return cached;
}

function orderValue(value: unknown, node: SchemaNode | undefined, root: SchemaNode): unknown {
  const schema = resolve(node, root);
  if (Array.isArray(value)) {
    const items = schema?.items as SchemaNode | undefined;
    return value.map((item) => orderValue(item, items, root));
  }
  if (value === null || typeof value !== "object") return value;

  const record = value as Record<string, unknown>;
  const properties = (schema?.properties as Record<string, SchemaNode> | undefined) ?? {};
  const additional = typeof schema?.additionalProperties === "object" ? (schema.additionalProperties as SchemaNode) : undefined;
  const ordered: Record<string, unknown> = {};

  for (const key of Object.keys(properties)) {
    if (key in record && record[key] !== undefined) ordered[key] = orderValue(record[key], properties[key], root);
  }
  const rest = Object.keys(record)
    .filter((key) => !(key in properties) && record[key] !== undefined)
    .sort(compareBytes);
  for (const key of rest) ordered[key] = orderValue(record[key], additional, root);
  return ordered;
}

/** Follows a local `$ref` such as `#/$defs/identity`; other references are left unresolved. */
function resolve(node: SchemaNode | undefined, root: SchemaNode): SchemaNode | undefined {
  let current = node;
  for (let depth = 0; depth < 8 && typeof current?.$ref === "string" && current.$ref.startsWith("#/"); depth++) {
    let target: unknown = root;
    for (const segment of current.$ref.slice(2).split("/")) target = (target as Record<string, unknown> | undefined)?.[segment];
    current = target as SchemaNode | undefined;
  }
  return current;
}
