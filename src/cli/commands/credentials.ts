import type { Command } from "commander";
import type { Logger } from "pino";
import { InvalidArgumentError, Option } from "commander";

import { writeCredentials } from "../../credentials/deliver.js";
import type { DeliveryOptions } from "../../credentials/deliver.js";
import { DEFAULT_TOKEN_FILE_MODE } from "../../credentials/files.js";
import { createCommandLogger } from "../logger.js";
import { loadWorkloadMapping } from "../../credentials/mapping.js";
import { selectTargets } from "../../credentials/targets.js";
import type { CredentialTarget, TargetOptions } from "../../credentials/targets.js";
import { TokenRefresher } from "../../credentials/watch.js";
import { loadIssuerConfig } from "../../issuer/config.js";
import { readIssuerEnvironment, resolveKeySource } from "../../issuer/key-source.js";
import type { MintedToken } from "../../issuer/token.js";
import { TokenSigner } from "../../issuer/token.js";
import { CliError } from "../errors.js";
import { configDirectory } from "../options.js";
import { issuerAction, waitForSignal } from "./issuer.js";
import { testTokenLifetimeOption } from "./token.js";

interface CredentialsOptions {
  workload?: string;
  all?: boolean;
  out: string;
  keys?: string;
  watch?: boolean;
  mountPath?: string;
  awsTokenPath?: string;
  gcpTokenPath?: string;
  gcpCredentialsPath?: string;
  gcpTokenUrl?: string;
  fileMode: number;
  testTokenLifetime?: number;
}

/** Registers `wid credentials`. */
export function registerCredentials(program: Command): void {
  const env = readIssuerEnvironment(process.env);
  program
    .command("credentials")
    .description("write a workload's token files, env files and Google credential configuration; --watch keeps the tokens fresh")
    .argument("[dir]", "config directory", ".")
    .option("--workload <project/name>", "the workload, as PROJECT/NAME; files go to --out directly")
    .option("--all", "every workload with an identity; files go to OUT/PROJECT/NAME")
    .requiredOption("--out <dir>", "folder to write the files into")
    .option("--keys <file>", "key set file (default: $WID_ISSUER_KEYS_FILE, or the key set in $WID_ISSUER_KEYS)")
    .option("--watch", "keep running and rewrite each token file at 80% of its lifetime; SIGHUP reloads the config")
    .option("--mount-path <path>", "where the workload sees the output folder, such as / in a container (default: the output folder)")
    .option("--aws-token-path <path>", "AWS_WEB_IDENTITY_TOKEN_FILE as the workload sees it (default: MOUNT/awstoken)")
    .option("--gcp-token-path <path>", "credential_source.file as the workload sees it (default: MOUNT/gcptoken)")
    .option("--gcp-credentials-path <path>", "GOOGLE_APPLICATION_CREDENTIALS as the workload sees it (default: MOUNT/gcp-credentials.json)")
    .option("--gcp-token-url <url>", "token_url of the Google credential configuration (default: Google STS)")
    .addOption(new Option("--file-mode <octal>", "mode of the token files").argParser(parseFileMode).default(DEFAULT_TOKEN_FILE_MODE, "600"))
    .addOption(testTokenLifetimeOption())
    .action(
      issuerAction(async (dir: string, options: CredentialsOptions) => {
        if ((options.workload === undefined) === (options.all !== true)) throw new CliError("pass either --workload PROJECT/NAME or --all");
        const logger = createCommandLogger();
        const signer = new TokenSigner(await resolveKeySource(options.keys, env));

        const prepared = await prepareCredentials(dir, options, signer, logger);
        const minted = await writeCredentials(prepared.targets, prepared.delivery);
        if (options.watch !== true) {
          for (const line of summary(prepared.targets, prepared.readinessKnown)) console.log(line);
          return;
        }
        await watchCredentials({ dir, options, signer, logger }, prepared, minted);
      }),
    );
}

/** The targets of one load of the config, and how to mint their tokens. */
interface PreparedCredentials {
  targets: CredentialTarget[];
  delivery: DeliveryOptions;
  /** Whether the status file records which identities are installed. */
  readinessKnown: boolean;
}

/**
 * Loads the config and the status file and chooses the files to write, logging a
 * warning for each workload whose credentials may not work. Throws when no workload
 * has an identity.
 */
async function prepareCredentials(dir: string, options: CredentialsOptions, signer: TokenSigner, logger: Logger): Promise<PreparedCredentials> {
  const { root, model, settings } = await loadIssuerConfig(await configDirectory(dir));
  const mapping = await loadWorkloadMapping(root, model, settings);
  for (const warning of mapping.warnings) logger.warn({ statusFile: settings.statusFile, detail: warning }, "status file ignored");
  const { targets, warnings } = selectTargets(model, mapping, targetOptions(options));
  for (const warning of warnings) logger.warn({ detail: warning }, "workload skipped");
  if (targets.length === 0) throw new CliError("no workload has an identity; run wid explain --workload PROJECT/NAME to see why");
  for (const target of targets.filter((entry) => entry.recorded)) {
    logger.warn(
      { workload: target.workloadKey, provider: target.provider, identity: target.identity, integration: target.integration },
      "integration is invalid or missing; the credentials use the mapping of the last reconcile, run wid validate",
    );
  }
  if (mapping.source === "config") {
    logger.warn({ statusFile: settings.statusFile }, "status file not found; the mapping is computed from the config and cannot tell whether identities are installed");
  } else {
    for (const target of targets.filter((entry) => !entry.ready)) {
      logger.warn({ workload: target.workloadKey, provider: target.provider, identity: target.identity }, "identity not installed yet; its credentials fail until it is");
    }
  }
  const delivery: DeliveryOptions = {
    signer,
    issuer: settings.issuer,
    lifetimeSeconds: options.testTokenLifetime ?? settings.tokenLifetimeSeconds,
    tokenFileMode: options.fileMode,
  };
  return { targets, delivery, readinessKnown: mapping.source === "status-file" };
}

interface WatchContext {
  dir: string;
  options: CredentialsOptions;
  signer: TokenSigner;
  logger: Logger;
}

/**
 * Keeps the token files fresh until SIGTERM or SIGINT. SIGHUP reloads the config and the
 * status file: every file of the new selection is written at once and refreshed from
 * then on. A reload that fails keeps the previous selection running. Files of workloads
 * that left the selection are kept but no longer refreshed, so their tokens expire.
 */
async function watchCredentials(context: WatchContext, first: PreparedCredentials, minted: readonly MintedToken[]): Promise<void> {
  const { logger } = context;
  // Listen for signals before the refresher logs its start, so a SIGTERM right after
  // that line still stops it cleanly.
  const stopped = waitForSignal();
  let current = first;
  let refresher = new TokenRefresher(current.delivery, logger);
  refresher.start(current.targets, minted);

  let fail: (error: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  let reloads = Promise.resolve();
  const reload = async (): Promise<void> => {
    let next: PreparedCredentials;
    try {
      next = await prepareCredentials(context.dir, context.options, context.signer, logger);
    } catch (error) {
      logger.error({ err: error }, "credentials reload failed; the previous workloads stay in place");
      return;
    }
    await refresher.stop();
    try {
      const written = await writeCredentials(next.targets, next.delivery);
      refresher = new TokenRefresher(next.delivery, logger);
      refresher.start(next.targets, written);
    } catch (error) {
      logger.error({ err: error }, "credentials reload failed; the previous workloads stay in place");
      // Writing the previous selection again gives fresh timers. If that fails too, the command stops as at startup.
      const written = await writeCredentials(current.targets, current.delivery);
      refresher = new TokenRefresher(current.delivery, logger);
      refresher.start(current.targets, written);
      return;
    }
    const refreshedFiles = new Set(next.targets.map((target) => target.tokenFile));
    for (const target of current.targets.filter((entry) => !refreshedFiles.has(entry.tokenFile))) {
      logger.warn({ workload: target.workloadKey, provider: target.provider, identity: target.identity, file: target.tokenFile }, "token file no longer refreshed");
    }
    current = next;
    logger.info({ files: next.targets.length }, "credentials reloaded");
  };
  const onReload = (): void => {
    reloads = reloads.then(reload).catch(fail);
  };
  process.on("SIGHUP", onReload);

  try {
    const signal = await Promise.race([stopped, failed]);
    logger.info({ signal }, "stopping");
  } finally {
    process.off("SIGHUP", onReload);
    await reloads.catch(() => undefined);
    await refresher.stop();
  }
}

function targetOptions(options: CredentialsOptions): TargetOptions {
  const paths = {
    ...(options.awsTokenPath !== undefined ? { awsToken: options.awsTokenPath } : {}),
    ...(options.gcpTokenPath !== undefined ? { gcpToken: options.gcpTokenPath } : {}),
    ...(options.gcpCredentialsPath !== undefined ? { gcpCredentialConfig: options.gcpCredentialsPath } : {}),
  };
  return {
    outDir: options.out,
    ...(options.workload !== undefined ? { workloads: [options.workload] } : {}),
    ...(options.mountPath !== undefined ? { mountPath: options.mountPath } : {}),
    paths,
    ...(options.gcpTokenUrl !== undefined ? { layout: { gcpTokenUrl: options.gcpTokenUrl } } : {}),
  };
}

function summary(targets: readonly CredentialTarget[], readinessKnown: boolean): string[] {
  return targets.map((target) => {
    const files = [target.envFile, target.tokenFile, ...(target.credentialConfigFile !== undefined ? [target.credentialConfigFile] : [])];
    return `${target.workloadKey} ${target.provider} ${target.identity}${readinessKnown && !target.ready ? " (not installed yet)" : ""}: ${files.join(", ")}`;
  });
}

function parseFileMode(value: string): number {
  if (!/^0?[0-7]{3}$/.test(value)) throw new InvalidArgumentError("must be an octal mode such as 600 or 640");
  const mode = Number.parseInt(value, 8);
  if ((mode & 0o400) === 0) throw new InvalidArgumentError("must let the owner read the file");
  return mode;
}
