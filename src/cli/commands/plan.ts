import { writeFile } from "node:fs/promises";

import type { Command } from "commander";

import { hasErrors } from "../../config/diagnostics.js";
import { loadConfig } from "../../config/load.js";
import { headRevision } from "../../git/revision.js";
import { planOffline } from "../../plan/offline.js";
import type { Plan } from "../../plan/types.js";
import { readStatusFile } from "../../status/file.js";
import { CliError, EXIT } from "../errors.js";
import { configDirectory, formatOption } from "../options.js";
import { displayPathFrom, formatDiagnosticGithub, formatDiagnosticText } from "../output/diagnostics.js";
import { formatPlanText } from "../output/plan-text.js";

interface PlanOptions {
  offline?: boolean;
  out?: string;
  format: "text" | "json" | "github";
}

export function registerPlan(program: Command): void {
  program
    .command("plan")
    .description("show the cloud changes that apply would make; exit 0 without changes, 2 with changes, 1 on error")
    .argument("[dir]", "config directory", ".")
    .option("--offline", "compare with the status file instead of reading the cloud")
    .option("--out <file>", "also save the plan as JSON to FILE, for wid apply")
    .addOption(formatOption(["text", "json", "github"]))
    .action(async (dir: string, options: PlanOptions) => {
      const root = await configDirectory(dir);
      const loaded = await loadConfig(root);
      const display = displayPathFrom(root);

      const errors = loaded.diagnostics.filter((diagnostic) => diagnostic.severity === "error");
      const format = options.format === "github" ? formatDiagnosticGithub : formatDiagnosticText;
      for (const diagnostic of loaded.diagnostics) console.error(format(diagnostic, display));
      const settings = loaded.model.settings;
      if (settings === undefined) {
        throw new CliError(hasErrors(loaded.diagnostics) ? `the config has ${errors.length} error(s); fix them and plan again` : "the config has no Settings document; add one with spec.issuer");
      }

      if (options.offline !== true) {
        throw new CliError("planning against the cloud is not available in this build; use --offline to compare with the status file");
      }
      const { status, diagnostics: statusDiagnostics } = await readStatusFile(root, settings.statusFile);
      for (const diagnostic of statusDiagnostics) console.error(format(diagnostic, display));
      const plan: Plan = planOffline(loaded.model, status, await headRevision(root));

      if (options.out !== undefined) await writeFile(options.out, `${JSON.stringify(plan, null, 2)}\n`, "utf8");
      if (options.format === "json") console.log(JSON.stringify(plan, null, 2));
      else console.log(formatPlanText(plan, { statusFile: settings.statusFile }));

      // Valid identities are planned even when others are invalid, but the exit code says so.
      if (errors.length > 0) process.exitCode = EXIT.failure;
      else process.exitCode = plan.changes.length > 0 ? EXIT.changes : EXIT.ok;
    });
}
