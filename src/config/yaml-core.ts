import jsyaml from "js-yaml";

/**
 * The YAML 1.2 core schema (YAML 1.2.2, section 10.3.2) for js-yaml: `null`, booleans
 * spelled `true`/`True`/`TRUE` and `false`/`False`/`FALSE`, decimal, `0o` octal and `0x`
 * hexadecimal integers, and floats. Everything else, including `yes`, `no`, `on`, `off`,
 * `0b101` and `1_000`, is a string. The `yaml` package's `core` schema resolves the same
 * way, so both parsers give equal values for the same text.
 */
const CORE_SCHEMA = jsyaml.FAILSAFE_SCHEMA.extend({
  implicit: [
    new jsyaml.Type("tag:yaml.org,2002:null", {
      kind: "scalar",
      resolve: (data: string) => data === "" || /^(~|null|Null|NULL)$/.test(data),
      construct: () => null,
    }),
    new jsyaml.Type("tag:yaml.org,2002:bool", {
      kind: "scalar",
      resolve: (data: string) => /^(true|True|TRUE|false|False|FALSE)$/.test(data),
      construct: (data: string) => data.toLowerCase() === "true",
    }),
    new jsyaml.Type("tag:yaml.org,2002:int", {
      kind: "scalar",
      resolve: (data: string) => /^([-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/.test(data),
      construct: (data: string) => {
        if (data.startsWith("0o")) return parseInt(data.slice(2), 8);
        if (data.startsWith("0x")) return parseInt(data.slice(2), 16);
        return Number(data);
      },
    }),
    new jsyaml.Type("tag:yaml.org,2002:float", {
      kind: "scalar",
      resolve: (data: string) => /^([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$/.test(data),
      construct: (data: string) => {
        if (/\.(nan|NaN|NAN)$/.test(data)) return Number.NaN;
        if (/\.(inf|Inf|INF)$/.test(data)) return data.startsWith("-") ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
        return Number(data);
      },
    }),
  ],
});

/**
 * Reads every document of a file with js-yaml, which is several times faster than the
 * `yaml` package but keeps no positions. Returns undefined when the text needs the
 * `yaml` package instead, which reports errors with positions and limits aliases:
 * - the text contains `&`, so it may define anchors and aliases (an alias bomb is
 *   expanded only under the `yaml` package's alias limit);
 * - the text starts a line with `%`, a directive such as `%YAML 1.1`;
 * - js-yaml rejects the text (syntax, duplicate keys, unknown tags);
 * - a document is empty or null, which only the `yaml` package distinguishes.
 *
 * NOTE: plain scalars resolve the same way in both parsers (tested), but a few rare
 * constructs differ. js-yaml accepts a flow collection continued at a lower indentation
 * than YAML allows, which the `yaml` package rejects. `!!float 1` is 1 here and "1"
 * there, and a mapping key that is a list becomes a different string in each.
 */
export function readCoreYaml(text: string): unknown[] | undefined {
  if (text.includes("&") || /^%/m.test(text)) return undefined;
  let documents: unknown[];
  try {
    documents = jsyaml.loadAll(text, null, { schema: CORE_SCHEMA, json: false });
  } catch {
    return undefined;
  }
  return documents.some((document) => document === null || document === undefined) ? undefined : documents;
}
