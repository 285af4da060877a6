import type { Command } from "commander";

import { loadConfig } from "../../config/load.js";
import { statusSelectionInputs } from "../../plan/selection-inputs.js";
import { explainWorkload } from "../../scope/explain.js";
import type { Explanation } from "../../scope/explain.js";
import { readStatusFile } from "../../status/file.js";
import { CliError, EXIT } from "../errors.js";
import { configDirectory, formatOption } from "../options.js";
import { workloadNotFoundMessage } from "../../config/suggest.js";

export function registerExplain(program: Command): void {
  program
    .command("explain")
    .description("explain why a workload gets, or does not get, each identity")
    .argument("[dir]", "config directory", ".")
    .requiredOption("--workload <project/name>", "the workload, as PROJECT/NAME")
    .addOption(formatOption(["text", "json"]))
    .action(async (dir: string, options: { workload: string; format: "text" | "json" }) => {
      const root = await configDirectory(dir);
      const { model } = await loadConfig(root);
      const workload = model.workloads.get(options.workload);
      if (workload === undefined) {
        throw new CliError(workloadNotFoundMessage(options.workload, model.workloads.keys(), model.unreadableFiles));
      }

      // Selection inputs come from the status file, exactly as in an offline plan.
      const status = model.settings === undefined ? undefined : (await readStatusFile(root, model.settings.statusFile)).status;
      const inputs = statusSelectionInputs(model, status);
      const explanation = explainWorkload(inputs.model, workload, inputs.isInstalled, inputs.frozen.get(options.workload) ?? {});

      console.log(options.format === "json" ? JSON.stringify(explanation, null, 2) : formatExplanation(explanation));
      process.exitCode = EXIT.ok;
    });
}

export function formatExplanation(explanation: Explanation): string {
  const lines = [`Workload ${explanation.workload}`];
  const providers = Object.entries(explanation.providers);
  if (providers.length === 0) lines.push("", "No identity of any provider is defined.");
  for (const [provider, result] of providers) {
    lines.push("", `${provider}: ${result.selected === null ? "no identity selected" : `uses ${result.selected}`}`);
    for (const candidate of result.candidates) {
      const mark = candidate.identity === result.selected ? "*" : candidate.candidate ? "~" : candidate.available ? "-" : " ";
      lines.push(`  ${mark} ${candidate.identity}`);
      for (const reason of candidate.reasons) lines.push(`      ${reason}`);
    }
  }
  lines.push("", "* selected   ~ shadowed candidate   - available, not installed");
  return lines.join("\n");
}
