/**
 * The issuer's public key set for clouds that take a copy of it: a Google Cloud pool
 * provider with `uploadJwks: true` stores the JWKS instead of fetching it from the issuer
 * URL. `wid plan`, `wid apply` and the daemon read it through one {@link PublicJwksSource}.
 */

import { readFile } from "node:fs/promises";

import type { JWK } from "jose";

import { jwks } from "./discovery.js";
import { IssuerError } from "./errors.js";
import { parseKeySet } from "./key-file.js";
import type { IssuerEnvironment } from "./key-source.js";
import { KEYS_VARIABLE, keyFileError } from "./key-source.js";

/** A public JSON Web Key Set, as served at `/.well-known/jwks.json`. */
export interface PublicJwks {
  keys: JWK[];
}

/**
 * A source of the issuer's public keys. `load` reads them again on every call, so a key
 * added by `wid issuer rotate` reaches the next plan without a restart.
 */
export interface PublicJwksSource {
  /** The origin of the keys for messages: a path or an environment variable name. */
  readonly description: string;
  /** Returns the keys published now. Throws an {@link IssuerError} naming the source when it cannot be read. */
  load(): Promise<PublicJwks>;
}

/**
 * Builds the public key source of `wid plan`, `wid apply` and the daemon: the file given
 * as an option (`--issuer-keys`), else the file in WID_ISSUER_KEYS_FILE, else the content
 * of WID_ISSUER_KEYS. Returns undefined when none is given, because only integrations
 * with `uploadJwks` need the keys, and those then fail with a message naming the option.
 *
 * The file or content is either a wid key set (JSON), a PEM private key, or a public
 * JWKS such as the `jwks.json` that `wid issuer publish` writes. From a key set only the
 * keys published now are taken, with their public members only. Nothing is read here,
 * so a missing file fails only the integrations that need it.
 */
export function issuerJwksSource(fileOption: string | undefined, environment: IssuerEnvironment, clock: () => Date = () => new Date()): PublicJwksSource | undefined {
  const file = fileOption ?? environment.keysFile;
  if (file !== undefined) {
    return {
      description: file,
      load: async () => {
        const text = await readFile(file, "utf8").catch((error: unknown) => {
          throw keyFileError(file, error);
        });
        return parsePublicJwks(text, file, clock());
      },
    };
  }

  const content = environment.keys;
  if (content === undefined) return undefined;
  return { description: KEYS_VARIABLE, load: () => parsePublicJwks(content, KEYS_VARIABLE, clock()) };
}

/**
 * Parses a public JWKS, or a key set or PEM private key, and returns the public keys
 * published at `now`. `source` names the text's origin in errors, which never quote the content.
 */
export async function parsePublicJwks(text: string, source: string, now: Date): Promise<PublicJwks> {
  const published = publicJwksOf(text);
  if (published !== undefined) return published;
  return jwks(await parseKeySet(text, source), now);
}

/** Returns the keys of a `{ "keys": [...] }` document without a `kind`, or undefined for any other text. */
function publicJwksOf(text: string): PublicJwks | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || "kind" in value || !("keys" in value) || !Array.isArray(value.keys)) return undefined;

  const keys: JWK[] = [];
  for (const key of value.keys) {
    if (typeof key !== "object" || key === null || Array.isArray(key)) throw new IssuerError("the JWKS has a key that is not an object; use the jwks.json that wid issuer publish writes");
    // Private members that a JWK set may carry are dropped where the keys are uploaded.
    keys.push({ ...key });
  }
  return { keys };
}
