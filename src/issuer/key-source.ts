import { readFile, stat } from "node:fs/promises";

import { IssuerError } from "./errors.js";
import { parseKeySet } from "./key-file.js";
import type { KeySet } from "./key-set.js";

/** Environment variable with the path of the key set file, such as a mounted secret. */
export const KEYS_FILE_VARIABLE = "WID_ISSUER_KEYS_FILE";
/** Environment variable with the key set itself (JSON or a PEM private key). */
export const KEYS_VARIABLE = "WID_ISSUER_KEYS";

/** The issuer's settings from the environment, read once at start. */
export interface IssuerEnvironment {
  /** Value of {@link KEYS_FILE_VARIABLE}, if set and not empty. */
  keysFile?: string;
  /** Value of {@link KEYS_VARIABLE}, if set and not empty. A secret: never log it. */
  keys?: string;
}

/** Reads {@link IssuerEnvironment} from `env`. */
export function readIssuerEnvironment(env: NodeJS.ProcessEnv): IssuerEnvironment {
  const environment: IssuerEnvironment = {};
  if (env[KEYS_FILE_VARIABLE] !== undefined && env[KEYS_FILE_VARIABLE] !== "") environment.keysFile = env[KEYS_FILE_VARIABLE];
  if (env[KEYS_VARIABLE] !== undefined && env[KEYS_VARIABLE] !== "") environment.keys = env[KEYS_VARIABLE];
  return environment;
}

/**
 * Where the signing keys come from. `load` returns the current key set; sources that
 * read a file pick up a rotation without a restart.
 */
export interface KeySetSource {
  /** Where the keys come from, for messages: a path or an environment variable name. */
  readonly description: string;
  load(): Promise<KeySet>;
}

/** A key set held in memory, such as one read from an environment variable. */
export class StaticKeySetSource implements KeySetSource {
  constructor(
    private readonly keySet: KeySet,
    readonly description: string,
  ) {}

  load(): Promise<KeySet> {
    return Promise.resolve(this.keySet);
  }
}

/**
 * A key set file that is read again when its size, modification time or inode changes,
 * so that `wid issuer rotate` (which replaces the file by a rename) reaches a running
 * server or `--watch` process. Each `load` costs one `stat` when nothing changed.
 */
export class FileKeySetSource implements KeySetSource {
  private cached: { signature: string; keySet: KeySet } | undefined;

  constructor(readonly path: string) {}

  get description(): string {
    return this.path;
  }

  async load(): Promise<KeySet> {
    const info = await stat(this.path).catch((error: unknown) => {
      throw keyFileError(this.path, error);
    });
    const signature = `${info.ino}:${info.size}:${info.mtimeMs}`;
    if (this.cached?.signature === signature) return this.cached.keySet;

    const text = await readFile(this.path, "utf8").catch((error: unknown) => {
      throw keyFileError(this.path, error);
    });
    const keySet = await parseKeySet(text, this.path);
    this.cached = { signature, keySet };
    return keySet;
  }
}

/**
 * Chooses the key source: the `--keys` option, else {@link KEYS_FILE_VARIABLE}, else
 * {@link KEYS_VARIABLE}. Throws an {@link IssuerError} when none is given, because a
 * default path could place a private key where nobody expects it.
 */
export async function resolveKeySource(keysOption: string | undefined, environment: IssuerEnvironment): Promise<KeySetSource> {
  const file = keysOption ?? environment.keysFile;
  if (file !== undefined) return new FileKeySetSource(file);
  if (environment.keys !== undefined) return new StaticKeySetSource(await parseKeySet(environment.keys, KEYS_VARIABLE), KEYS_VARIABLE);
  throw new IssuerError(`no signing key given; pass --keys FILE, or set ${KEYS_FILE_VARIABLE} to a key file or ${KEYS_VARIABLE} to its content`);
}

/**
 * Returns the key file that `wid issuer init`, `rotate` and `retire` write: the `--keys`
 * option, else {@link KEYS_FILE_VARIABLE}. Keys given as content cannot be rewritten.
 */
export function resolveKeyFilePath(keysOption: string | undefined, environment: IssuerEnvironment): string {
  const file = keysOption ?? environment.keysFile;
  if (file !== undefined) return file;
  throw new IssuerError(`no key file given; pass --keys FILE or set ${KEYS_FILE_VARIABLE}`);
}

/**
 * Returns a warning when `file` can be read or written by users other than its owner,
 * because whoever reads the key can mint a token for any identity. Undefined otherwise.
 */
export async function keyFilePermissionWarning(file: string): Promise<string | undefined> {
  const info = await stat(file).catch(() => undefined);
  if (info === undefined || (info.mode & 0o077) === 0) return undefined;
  return `key file ${file} has mode ${(info.mode & 0o777).toString(8).padStart(4, "0")}; restrict it with chmod 600, because anyone who reads it can mint tokens for every identity`;
}

/** Converts a failed read of a key file into an {@link IssuerError} that says what to do. */
export function keyFileError(file: string, error: unknown): IssuerError {
  const code = error instanceof Error && "code" in error ? error.code : undefined;
  if (code === "ENOENT") return new IssuerError(`key file ${file} not found; create it with wid issuer init --keys ${file}`, { cause: error });
  if (code === "EACCES") return new IssuerError(`key file ${file} cannot be read (permission denied); run wid as the file's owner`, { cause: error });
  return new IssuerError(`key file ${file} cannot be read: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
