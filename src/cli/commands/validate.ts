import type { Command } from "commander";

import { hasErrors } from "../../config/diagnostics.js";
import { loadConfig } from "../../config/load.js";
import { EXIT } from "../errors.js";
import { configDirectory, formatOption } from "../options.js";
import { diagnosticsJson, displayPathFrom, formatDiagnosticGithub, formatDiagnosticText } from "../output/diagnostics.js";

export function registerValidate(program: Command): void {
  program
    .command("validate")
    .description("check the config repository against the schemas and the semantic rules")
    .argument("[dir]", "config directory", ".")
    .addOption(formatOption(["text", "json", "github"]))
    .action(async (dir: string, options: { format: "text" | "json" | "github" }) => {
      const root = await configDirectory(dir);
      const { diagnostics, model } = await loadConfig(root);
      const display = displayPathFrom(root);

      if (options.format === "json") {
        console.log(JSON.stringify(diagnosticsJson(diagnostics, display), null, 2));
      } else {
        const format = options.format === "github" ? formatDiagnosticGithub : formatDiagnosticText;
        for (const diagnostic of diagnostics) console.log(format(diagnostic, display));
        if (options.format === "text") {
          const errors = diagnostics.filter((diagnostic) => diagnostic.severity === "error").length;
          const warnings = diagnostics.length - errors;
          const counts = `${model.identities.size} valid identities, ${model.workloads.size} workloads, ${model.integrations.size} integrations`;
          console.log(errors > 0 ? `Invalid: ${errors} error(s), ${warnings} warning(s).` : `Valid: ${counts}; ${warnings} warning(s).`);
        }
      }
      process.exitCode = hasErrors(diagnostics) ? EXIT.failure : EXIT.ok;
    });
}
