import type { Command } from "commander";

import { hasErrors } from "../../config/diagnostics.js";
import { loadConfig } from "../../config/load.js";
import { CliError, EXIT } from "../errors.js";
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
      if (model.files.length === 0) {
        // Validating a folder without config is a wrong path, not a valid repository: a check pointed at it must not pass.
        throw new CliError(`${dir} has no .yaml or .yml files outside folders starting with "." and node_modules; give the config repository's folder`);
      }
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
