import { readFile } from "node:fs/promises";

import type { Command } from "commander";
import { Option } from "commander";
import type { JSONWebKeySet } from "jose";

import { formatDuration, parseDuration } from "../../config/duration.js";
import { AWS_AUDIENCE, gcpAudience } from "../../credentials/layout.js";
import { createCommandLogger } from "../logger.js";
import { loadIssuerConfig } from "../../issuer/config.js";
import { jwks } from "../../issuer/discovery.js";
import { IssuerError } from "../../issuer/errors.js";
import { keyFilePermissionWarning, readIssuerEnvironment, resolveKeyFilePath, resolveKeySource } from "../../issuer/key-source.js";
import { parseKeySet, writeKeySetFile } from "../../issuer/key-file.js";
import { withKeyFileLock } from "../../issuer/key-file-lock.js";
import { createKeySet, DEFAULT_ACTIVATION_DELAY_SECONDS, retireExpiredKeys, retireKeyNow, rotateKeySet } from "../../issuer/key-rotation.js";
import type { RotateResult } from "../../issuer/key-rotation.js";
import type { KeySet, SigningAlgorithm, SigningKey } from "../../issuer/key-set.js";
import { DEFAULT_SIGNING_ALGORITHM, keyState, SIGNING_ALGORITHMS, signingKey } from "../../issuer/key-set.js";
import { publishIssuerFiles } from "../../issuer/publish.js";
import { createIssuerRoutes } from "../../issuer/routes.js";
import { DEFAULT_LISTEN_ADDRESS, parseListenAddress, startIssuerServer } from "../../issuer/server.js";
import { verifyIssuerToken } from "../../issuer/verify.js";
import { CliError, EXIT } from "../errors.js";
import { configDirectory, formatOption } from "../options.js";

const KEYS_HELP = "key set file (default: $WID_ISSUER_KEYS_FILE, or the key set in $WID_ISSUER_KEYS)";

/** Converts an {@link IssuerError} into a {@link CliError}, the one place where issuer errors meet the CLI. */
export function toCliError(error: unknown): unknown {
  return error instanceof IssuerError ? new CliError(error.message) : error;
}

/** Wraps a command action so that issuer errors are reported as one-line CLI errors. */
export function issuerAction<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (error) {
      throw toCliError(error);
    }
  };
}

/** Registers `wid issuer` and its subcommands. */
export function registerIssuer(program: Command): void {
  const issuer = program.command("issuer").description("manage the OIDC issuer: signing keys, discovery document and JWKS");
  const env = readIssuerEnvironment(process.env);
  const algorithm = (): Option => new Option("--alg <alg>", "signing algorithm of the new key").choices(SIGNING_ALGORITHMS);

  issuer
    .command("init")
    .description("create a key set file with one signing key, mode 0600")
    .option("--keys <file>", "key set file to create (default: $WID_ISSUER_KEYS_FILE)")
    .addOption(algorithm().default(DEFAULT_SIGNING_ALGORITHM))
    .action(
      issuerAction(async (options: { keys?: string; alg: SigningAlgorithm }) => {
        const file = resolveKeyFilePath(options.keys, env);
        const keySet = await createKeySet(options.alg, new Date());
        await writeKeySetFile(file, keySet, { exclusive: true }).catch((error: unknown) => {
          const exists = error instanceof Error && "code" in error && error.code === "EEXIST";
          throw new IssuerError(exists ? `${file} already exists; use wid issuer rotate to add a key` : `cannot create ${file}: ${String(error)}`);
        });
        const [key] = keySet.keys;
        console.log(`Created ${options.alg} key ${key?.kid ?? ""} in ${file} (mode 0600).`);
        console.log("Keep the file secret: whoever reads it can mint a token for every identity.");
      }),
    );

  issuer
    .command("rotate")
    .description("add a signing key; earlier keys stay published until every token they signed has expired")
    .argument("[dir]", "config directory whose tokenLifetime bounds how long earlier keys stay published (default: the maximum, 24h)")
    .option("--keys <file>", "key set file to update (default: $WID_ISSUER_KEYS_FILE)")
    .addOption(algorithm())
    .option("--activate-after <duration>", "time before the new key signs, so that cached JWKS pick it up first", formatDuration(DEFAULT_ACTIVATION_DELAY_SECONDS))
    .action(
      issuerAction(async (dir: string | undefined, options: { keys?: string; alg?: SigningAlgorithm; activateAfter: string }) => {
        const file = resolveKeyFilePath(options.keys, env);
        const activationDelaySeconds = parseDuration(options.activateAfter);
        if (activationDelaySeconds === undefined) throw new CliError(`--activate-after ${options.activateAfter} is not a duration; use a form such as 10m or 0s`);
        const maxTokenLifetimeSeconds = dir === undefined ? undefined : (await loadIssuerConfig(await configDirectory(dir))).settings.tokenLifetimeSeconds;

        const { rotated, alg } = await withKeyFileLock(file, async () => {
          const now = new Date();
          const keySet = await readKeySetFile(file);
          const alg = options.alg ?? signingKey(keySet, now)?.alg ?? DEFAULT_SIGNING_ALGORITHM;
          const rotated = await rotateKeySet(keySet, { alg, now, activationDelaySeconds, ...(maxTokenLifetimeSeconds !== undefined ? { maxTokenLifetimeSeconds } : {}) });
          await writeKeySetFile(file, rotated.keySet);
          return { rotated, alg };
        });

        for (const line of rotationSummary(rotated, alg)) console.log(line);
      }),
    );

  issuer
    .command("retire")
    .description("remove the private keys of keys whose retirement time has passed, or retire one key now with --kid")
    .option("--keys <file>", "key set file to update (default: $WID_ISSUER_KEYS_FILE)")
    .option("--kid <kid>", "retire this key now, before its time, such as a key that leaked; its tokens stop verifying")
    .action(
      issuerAction(async (options: { keys?: string; kid?: string }) => {
        const file = resolveKeyFilePath(options.keys, env);
        const retired = await withKeyFileLock(file, async () => {
          const current = await readKeySetFile(file);
          const now = new Date();
          const result = options.kid === undefined ? retireExpiredKeys(current, now) : retireNow(current, options.kid, now);
          if (result.retired.length > 0) await writeKeySetFile(file, result.keySet);
          return result.retired;
        });
        for (const key of retired) console.log(`Retired key ${key.kid}.`);
        if (retired.length === 0) console.log("No key is due for retirement.");
        if (options.kid !== undefined) console.log("Publish the JWKS again (wid issuer publish) if a bucket or static site serves it.");
      }),
    );

  issuer
    .command("keys")
    .description("list the signing keys and their states")
    .option("--keys <file>", KEYS_HELP)
    .addOption(formatOption(["text", "json"]))
    .action(
      issuerAction(async (options: { keys?: string; format: "text" | "json" }) => {
        const source = await resolveKeySource(options.keys, env);
        const keySet = await source.load();
        const now = new Date();
        const rows = keySet.keys.map((key) => ({
          kid: key.kid,
          alg: key.alg,
          state: keyState(keySet, key, now),
          createdAt: key.createdAt,
          activatesAt: key.activatesAt,
          retireAt: key.retireAt,
          retiredAt: key.retiredAt,
        }));
        if (options.format === "json") console.log(JSON.stringify(rows, null, 2));
        else for (const row of rows) console.log(`${row.kid}  ${row.alg}  ${row.state.padEnd(10)}  created ${row.createdAt ?? "unknown"}  retires ${row.retiredAt ?? row.retireAt ?? "-"}`);
      }),
    );

  issuer
    .command("serve")
    .description("serve the discovery document and the JWKS over HTTP; put a TLS proxy in front")
    .argument("[dir]", "config directory", ".")
    .option("--keys <file>", KEYS_HELP)
    .option("--listen <address>", "address to listen on, HOST:PORT", DEFAULT_LISTEN_ADDRESS)
    .action(
      issuerAction(async (dir: string, options: { keys?: string; listen: string }) => {
        const { settings } = await loadIssuerConfig(await configDirectory(dir));
        const address = parseListenAddress(options.listen);
        const source = await resolveKeySource(options.keys, env);
        await source.load();
        const logger = createCommandLogger();
        await warnAboutKeyFile(options.keys ?? env.keysFile, (file, detail) => logger.warn({ file, detail }, "key file readable by other users"));

        const routes = createIssuerRoutes(source, settings, { onError: (error) => logger.error({ err: error, keys: source.description }, "signing keys unavailable") });
        // Listen for signals before announcing the server, so a SIGTERM right after the
        // start line still closes it cleanly.
        const stopped = waitForSignal();
        const server = await startIssuerServer(routes, address);
        logger.info({ url: server.url, issuer: settings.issuer }, "issuer server started");
        await stopped;
        await server.close();
        logger.info({ url: server.url }, "issuer server stopped");
      }),
    );

  issuer
    .command("publish")
    .description("write the discovery document and the JWKS as static files for a bucket or static site")
    .argument("[dir]", "config directory", ".")
    .requiredOption("--out <dir>", "folder to write; upload its content to the root of the issuer URL's host")
    .option("--keys <file>", KEYS_HELP)
    .action(
      issuerAction(async (dir: string, options: { out: string; keys?: string }) => {
        const { settings } = await loadIssuerConfig(await configDirectory(dir));
        const keySet = await (await resolveKeySource(options.keys, env)).load();
        for (const file of await publishIssuerFiles(options.out, settings.issuer, keySet, new Date())) console.log(file);
      }),
    );

  issuer
    .command("verify")
    .description("verify a token: signature against the JWKS, iss, aud, exp and nbf; prints the claims, never the token")
    .argument("<token>", "the token, a file that contains it, or - to read standard input")
    .argument("[dir]", "config directory", ".")
    .option("--keys <file>", KEYS_HELP)
    .option("--jwks <url-or-file>", "check against this JWKS instead of the key set, such as the published https://ISSUER/.well-known/jwks.json")
    .option("--audience <aud...>", "accepted audiences (default: sts.amazonaws.com and every Google pool provider of the config)")
    .addOption(formatOption(["text", "json"]))
    .action(
      issuerAction(async (tokenArgument: string, dir: string, options: { keys?: string; jwks?: string; audience?: string[]; format: "text" | "json" }) => {
        const { model, settings } = await loadIssuerConfig(await configDirectory(dir));
        const token = await readTokenArgument(tokenArgument);
        const audiences = options.audience ?? [AWS_AUDIENCE, ...[...model.integrations.values()].flatMap((integration) => (integration.provider === "gcp" ? [gcpAudience(integration)] : []))];
        const keys = options.jwks !== undefined ? await readJwksOption(options.jwks) : jwks(await (await resolveKeySource(options.keys, env)).load(), new Date());

        const verified = await verifyIssuerToken(token, { issuer: settings.issuer, audiences, jwks: keys });
        if (options.format === "json") {
          console.log(JSON.stringify({ valid: true, header: verified.header, claims: verified.claims }, null, 2));
        } else {
          console.log(`Valid token signed by key ${verified.header.kid ?? "?"} (${verified.header.alg ?? "?"}).`);
          for (const [name, value] of Object.entries(verified.claims)) console.log(`  ${name}: ${formatClaim(name, value)}`);
        }
        process.exitCode = EXIT.ok;
      }),
    );
}

/** Lines that `wid issuer rotate` prints: the new key, the keys it replaces, and what to do next. */
function rotationSummary(rotated: RotateResult, alg: SigningAlgorithm): string[] {
  const lines = [`Added ${alg} key ${rotated.added.kid}; it signs from ${rotated.added.activatesAt}.`];
  if (rotated.superseded === undefined) lines.push("No key could sign, so the new key signs at once.");
  for (const key of rotated.cancelled) lines.push(`Retired pending key ${key.kid}: the new key replaces it, and it never signed.`);
  for (const key of rotated.keySet.keys) {
    if (key.kid !== rotated.added.kid && key.retiredAt === null && key.retireAt !== null) lines.push(`Key ${key.kid} stays published until ${key.retireAt}.`);
  }
  for (const key of rotated.retired) lines.push(`Retired key ${key.kid}.`);
  lines.push("Publish the JWKS again (wid issuer publish) if a bucket or static site serves it.");
  return lines;
}

function retireNow(keySet: KeySet, kid: string, now: Date): { keySet: KeySet; retired: SigningKey[] } {
  const result = retireKeyNow(keySet, kid, now);
  return { keySet: result.keySet, retired: [result.retired] };
}

async function readKeySetFile(file: string): Promise<KeySet> {
  const text = await readFile(file, "utf8").catch((error: unknown) => {
    throw new IssuerError(`cannot read key file ${file} (${error instanceof Error && "code" in error ? String(error.code) : String(error)}); create it with wid issuer init`);
  });
  return parseKeySet(text, file);
}

async function warnAboutKeyFile(file: string | undefined, warn: (file: string, detail: string) => void): Promise<void> {
  if (file === undefined) return;
  const warning = await keyFilePermissionWarning(file);
  if (warning !== undefined) warn(file, warning);
}

/** Reads the token from the argument, a file or standard input, with surrounding whitespace removed. */
async function readTokenArgument(argument: string): Promise<string> {
  if (argument === "-") {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    return Buffer.concat(chunks).toString("utf8").trim();
  }
  if (/^[\w-]+\.[\w-]+\.[\w-]*$/.test(argument)) return argument;
  const text = await readFile(argument, "utf8").catch(() => {
    throw new IssuerError("the token argument is neither a JWT nor a readable file; pass the token, its file, or - for standard input");
  });
  return text.trim();
}

async function readJwksOption(value: string): Promise<JSONWebKeySet | URL> {
  if (/^https?:\/\//.test(value)) return new URL(value);
  const text = await readFile(value, "utf8").catch(() => {
    throw new IssuerError(`JWKS file ${value} cannot be read; pass a readable file or an https URL`);
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new IssuerError(`JWKS file ${value} is not JSON`);
  }
  if (typeof parsed !== "object" || parsed === null || !("keys" in parsed) || !Array.isArray(parsed.keys)) {
    throw new IssuerError(`JWKS file ${value} has no keys list`);
  }
  return { keys: parsed.keys };
}

function formatClaim(name: string, value: unknown): string {
  if ((name === "iat" || name === "nbf" || name === "exp") && typeof value === "number") return `${value} (${new Date(value * 1000).toISOString()})`;
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Resolves on the first SIGINT or SIGTERM. */
export function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      resolve(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
