import type { Command } from "commander";
import { InvalidArgumentError, Option } from "commander";

import { workloadNotFoundMessage } from "../../config/suggest.js";
import { writeFileAtomic } from "../../fs/atomic-write.js";
import { tokenAudience } from "../../credentials/layout.js";
import { resolveTokenIdentity } from "../../credentials/token-identity.js";
import { loadIssuerConfig } from "../../issuer/config.js";
import { IssuerError } from "../../issuer/errors.js";
import { readIssuerEnvironment, resolveKeySource } from "../../issuer/key-source.js";
import { TokenSigner } from "../../issuer/token.js";
import { scopeAdmits } from "../../scope/available.js";
import { createCommandLogger } from "../logger.js";
import { configDirectory } from "../options.js";
import { issuerAction } from "./issuer.js";

/**
 * Builds the hidden `--test-token-lifetime` option. It sets the token lifetime in
 * seconds, bypassing the 10m..24h bounds of `tokenLifetime`, so that tests can watch
 * many refreshes in seconds. It is not for production use and not in the help.
 */
export function testTokenLifetimeOption(): Option {
  return new Option("--test-token-lifetime <seconds>", "tests only: token lifetime in seconds, outside the config's bounds").hideHelp().argParser((value: string) => {
    const seconds = Number(value);
    if (!Number.isInteger(seconds) || seconds < 1) throw new InvalidArgumentError("must be a whole number of seconds, at least 1");
    return seconds;
  });
}

interface TokenOptions {
  identity: string;
  workload?: string;
  keys?: string;
  out?: string;
  testTokenLifetime?: number;
}

/** Registers `wid token`. */
export function registerToken(program: Command): void {
  const env = readIssuerEnvironment(process.env);
  program
    .command("token")
    .description("mint a token for an identity and print it (or write it with --out)")
    .argument("[dir]", "config directory", ".")
    .requiredOption("--identity <name>", "the identity; sub is identity:NAME and aud its integration's audience")
    .option("--workload <project/name>", "the workload to name in the token's wid_project and wid_workload claims")
    .option("--keys <file>", "key set file (default: $WID_ISSUER_KEYS_FILE, or the key set in $WID_ISSUER_KEYS)")
    .option("--out <file>", "write the token to FILE (mode 0600, no trailing newline) instead of printing it")
    .addOption(testTokenLifetimeOption())
    .action(
      issuerAction(async (dir: string, options: TokenOptions) => {
        const { root, model, settings } = await loadIssuerConfig(await configDirectory(dir));
        const identity = await resolveTokenIdentity(root, model, settings, options.identity);
        if (identity.brokenFile !== undefined) {
          createCommandLogger().warn(
            { identity: identity.name, file: identity.brokenFile, integration: identity.integration.name },
            "identity file is invalid or cannot be parsed; the token uses the integration recorded in the status file, run wid validate",
          );
        }
        const workload = options.workload === undefined ? undefined : model.workloads.get(options.workload);
        if (options.workload !== undefined && workload === undefined) {
          throw new IssuerError(workloadNotFoundMessage(options.workload, model.workloads.keys(), model.unreadableFiles));
        }
        const scope = model.identities.get(identity.name)?.scope;
        if (workload !== undefined && scope !== undefined && !scopeAdmits(scope, workload)) {
          throw new IssuerError(
            `identity ${identity.name} is not available to workload ${options.workload} because its scope does not admit it; run wid explain --workload ${options.workload} to see why`,
          );
        }

        const signer = new TokenSigner(await resolveKeySource(options.keys, env));
        const minted = await signer.mint({
          issuer: settings.issuer,
          identity: identity.name,
          audience: tokenAudience(identity.integration),
          ...(workload !== undefined ? { workload: { project: workload.project, name: workload.name } } : {}),
          lifetimeSeconds: options.testTokenLifetime ?? settings.tokenLifetimeSeconds,
        });
        if (options.out !== undefined) await writeFileAtomic(options.out, minted.token, { mode: 0o600 });
        else console.log(minted.token);
      }),
    );
}
