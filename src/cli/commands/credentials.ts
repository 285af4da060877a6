import type { Command } from "commander";
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
    .option("--watch", "keep running and rewrite each token file at 80% of its lifetime")
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

        // Compute: the mapping, then what to write for each workload and provider.
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

        // Act: write every file once, then keep the tokens fresh when asked to.
        const delivery: DeliveryOptions = {
          signer: new TokenSigner(await resolveKeySource(options.keys, env)),
          issuer: settings.issuer,
          lifetimeSeconds: options.testTokenLifetime ?? settings.tokenLifetimeSeconds,
          tokenFileMode: options.fileMode,
        };
        const minted = await writeCredentials(targets, delivery);
        if (options.watch !== true) {
          for (const line of summary(targets, mapping.source === "status-file")) console.log(line);
          return;
        }

        // Listen for signals before the refresher logs its start, so a SIGTERM right after
        // that line still stops it cleanly.
        const stopped = waitForSignal();
        const refresher = new TokenRefresher(delivery, logger);
        refresher.start(targets, minted);
        const signal = await stopped;
        logger.info({ signal }, "stopping");
        await refresher.stop();
      }),
    );
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
