import { readFile, stat } from "node:fs/promises";
import path from "node:path";

import type { Command } from "commander";
import { InvalidArgumentError, Option } from "commander";

import { hasErrors } from "../../config/diagnostics.js";
import type { PlanFingerprints } from "../../plan/fingerprint.js";
import { parseSavedPlan } from "../../plan/saved.js";
import { DEFAULT_PARALLELISM } from "../../providers/types.js";
import { readIssuerEnvironment } from "../../issuer/key-source.js";
import { reconcile } from "../../reconcile/run.js";
import { CliError, EXIT } from "../errors.js";
import { LOG_LEVELS } from "../../log/logger.js";
import { createCommandLogger } from "../logger.js";
import type { LogLevel } from "../../log/logger.js";
import { cloudAdapters, formatOption, issuerKeysOption } from "../options.js";
import { displayPathFrom, formatDiagnosticText } from "../output/diagnostics.js";
import { applyJson, formatApplyText } from "../output/apply-text.js";
import type { GitEnvironment } from "../../git/client.js";

interface ApplyCommandOptions {
  format: "text" | "json";
  parallelism: number;
  logLevel: LogLevel;
  issuerKeys?: string;
}

export function registerApply(program: Command): void {
  const environment = readIssuerEnvironment(process.env);
  const gitEnvironment: GitEnvironment = { ...process.env };
  program
    .command("apply")
    .description("apply the plan to the cloud and write the status file; exit 0 when applied, 1 when anything failed")
    .argument("[target]", "config directory, or a plan file written by wid plan --out", ".")
    .addOption(formatOption(["text", "json"]))
    .addOption(issuerKeysOption())
    .addOption(new Option("--parallelism <n>", "identities written concurrently per integration").argParser(positiveInteger).default(DEFAULT_PARALLELISM))
    .addOption(new Option("--log-level <level>", "JSON log lines on stderr at this level").choices(LOG_LEVELS).default("silent"))
    .action(async (target: string, options: ApplyCommandOptions) => {
      const { root, expected } = await resolveTarget(target);
      const result = await reconcile({
        root,
        adapters: cloudAdapters(options.issuerKeys, environment),
        logger: createCommandLogger({ level: options.logLevel }),
        mode: "apply",
        gitEnvironment,
        applyOptions: { parallelism: options.parallelism },
        ...(expected !== undefined ? { expected } : {}),
      });

      const display = displayPathFrom(result.loaded.root);
      for (const diagnostic of [...result.loaded.diagnostics, ...result.statusDiagnostics]) console.error(formatDiagnosticText(diagnostic, display));
      if (result.report === undefined || result.plan === undefined) throw new CliError(result.message ?? "nothing was applied");

      const context = { plan: result.plan, statusFile: result.statusFile, statusWritten: result.statusWritten };
      if (options.format === "json") console.log(JSON.stringify(applyJson(result.report, context, result.outcome), null, 2));
      else console.log(formatApplyText(result.report, context));

      const failed = result.outcome !== "applied" || hasErrors(result.loaded.diagnostics) || result.plan.invalid.length > 0;
      process.exitCode = failed ? EXIT.failure : EXIT.ok;
    });
}

/** Resolves a directory to itself, and a plan file to its directory and the fingerprints it must still match. */
async function resolveTarget(target: string): Promise<{ root: string; expected?: PlanFingerprints }> {
  const info = await stat(target).catch(() => undefined);
  if (info === undefined) throw new CliError(`${target} not found; pass a config directory or a plan file written by wid plan --out`);
  if (info.isDirectory()) return { root: path.resolve(target) };

  let header;
  try {
    header = parseSavedPlan(await readFile(target, "utf8"));
  } catch (error) {
    throw new CliError(`${target} ${error instanceof Error ? error.message : String(error)}`);
  }
  if (header.mode === "offline" || header.fingerprints === null) {
    throw new CliError(`${target} is an offline plan, which cannot be applied because it was not compared with the cloud; run wid plan --out FILE without --offline`);
  }
  return { root: header.root, expected: header.fingerprints };
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 64) throw new InvalidArgumentError("must be an integer from 1 to 64");
  return parsed;
}
