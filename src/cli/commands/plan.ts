import { writeFile } from "node:fs/promises";

import type { Command } from "commander";
import { Option } from "commander";

import { hasErrors } from "../../config/diagnostics.js";
import { loadConfig } from "../../config/load.js";
import { localConfigRevision } from "../../git/revision.js";
import { planOffline } from "../../plan/offline.js";
import { serializeSavedPlan } from "../../plan/saved.js";
import type { Plan } from "../../plan/types.js";
import { readIssuerEnvironment } from "../../issuer/key-source.js";
import { reconcile } from "../../reconcile/run.js";
import { readStatusFile } from "../../status/file.js";
import { CliError, EXIT } from "../errors.js";
import { LOG_LEVELS } from "../../log/logger.js";
import { createCommandLogger } from "../logger.js";
import type { LogLevel } from "../../log/logger.js";
import { cloudAdapters, configDirectory, formatOption, issuerKeysOption } from "../options.js";
import { displayPathFrom, formatDiagnosticGithub, formatDiagnosticText } from "../output/diagnostics.js";
import { formatPlanGithub } from "../output/plan-github.js";
import { formatPlanText } from "../output/plan-text.js";
import type { GitEnvironment } from "../../git/client.js";

interface PlanOptions {
  offline?: boolean;
  out?: string;
  format: "text" | "json" | "github";
  logLevel: LogLevel;
  issuerKeys?: string;
}

export function registerPlan(program: Command): void {
  const environment = readIssuerEnvironment(process.env);
  const gitEnvironment: GitEnvironment = { ...process.env };
  program
    .command("plan")
    .description("show the cloud changes that apply would make; exit 0 without changes, 2 with changes, 1 on error")
    .argument("[dir]", "config directory", ".")
    .option("--offline", "compare with the status file instead of reading the cloud")
    .option("--out <file>", "also save the plan as JSON to FILE, for wid apply FILE")
    .addOption(formatOption(["text", "json", "github"]))
    .addOption(issuerKeysOption())
    .addOption(new Option("--log-level <level>", "JSON log lines on stderr at this level").choices(LOG_LEVELS).default("silent"))
    .action(async (dir: string, options: PlanOptions) => {
      const root = await configDirectory(dir);
      const display = displayPathFrom(root);
      const formatDiagnostic = options.format === "github" ? formatDiagnosticGithub : formatDiagnosticText;

      let plan: Plan;
      let statusFile: string;
      let configErrors: boolean;
      let statusMissing = false;
      if (options.offline === true) {
        const loaded = await loadConfig(root);
        for (const diagnostic of loaded.diagnostics) console.error(formatDiagnostic(diagnostic, display));
        const settings = loaded.model.settings;
        if (settings === undefined) throw new CliError(noSettingsMessage(hasErrors(loaded.diagnostics), loaded.diagnostics.length));
        const { status, diagnostics, missing } = await readStatusFile(root, settings.statusFile);
        for (const diagnostic of diagnostics) console.error(formatDiagnostic(diagnostic, display));
        statusMissing = missing;
        // The text output states this in its first line; JSON and GitHub output have no place for it.
        if (missing && options.format !== "text") console.error(`wid: note: ${missingStatusMessage(settings.statusFile)}`);
        plan = planOffline(loaded.model, status, await localConfigRevision(root, settings.statusFile, gitEnvironment));
        statusFile = settings.statusFile;
        configErrors = hasErrors(loaded.diagnostics);
        if (options.out !== undefined) await writeFile(options.out, serializeSavedPlan(plan, root, null), "utf8");
      } else {
        const result = await reconcile({ root, adapters: cloudAdapters(options.issuerKeys, environment), logger: createCommandLogger({ level: options.logLevel }), mode: "plan", gitEnvironment, fingerprints: options.out !== undefined });
        for (const diagnostic of [...result.loaded.diagnostics, ...result.statusDiagnostics]) console.error(formatDiagnostic(diagnostic, display));
        if (result.plan === undefined) throw new CliError(result.message ?? "the plan could not be made");
        plan = result.plan;
        statusFile = result.statusFile ?? "";
        configErrors = hasErrors(result.loaded.diagnostics);
        if (options.out !== undefined) await writeFile(options.out, serializeSavedPlan(plan, result.loaded.root, result.fingerprints ?? null), "utf8");
      }

      if (options.format === "json") console.log(JSON.stringify(plan, null, 2));
      else if (options.format === "github") console.log(formatPlanGithub(plan));
      else console.log(formatPlanText(plan, { statusFile, statusMissing }));

      // Valid identities are planned even when others are invalid or an integration failed, but the exit code reports it.
      const failed = configErrors || plan.failedIntegrations.length > 0 || plan.invalid.length > 0;
      if (failed) process.exitCode = EXIT.failure;
      else if (plan.changes.length > 0) process.exitCode = EXIT.changes;
      else process.exitCode = EXIT.ok;
    });
}

function missingStatusMessage(statusFile: string): string {
  return `status file ${statusFile} not found, so every identity is planned as new, as on a first run`;
}

function noSettingsMessage(errors: boolean, count: number): string {
  return errors ? `the config has ${count} error(s); fix them and plan again` : "the config has no Settings document; add one with spec.issuer";
}
