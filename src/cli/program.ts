import { Command, CommanderError } from "commander";

import { registerApply } from "./commands/apply.js";
import { registerExplain } from "./commands/explain.js";
import { registerPlan } from "./commands/plan.js";
import { registerValidate } from "./commands/validate.js";
import { CliError, EXIT } from "./errors.js";

/** Builds the `wid` command with every subcommand registered. */
export function buildProgram(): Command {
  const program = new Command("wid")
    .description("GitOps reconciler for cloud workload identities")
    .version("0.1.0")
    .showHelpAfterError()
    .exitOverride();
  registerValidate(program);
  registerExplain(program);
  registerPlan(program);
  registerApply(program);
  return program;
}

/**
 * Runs the CLI and returns the exit code. Errors are printed as one line without a
 * stack trace; set WID_DEBUG=1 to also print the stack of an unexpected error.
 */
export async function main(argv: readonly string[], debug = false): Promise<number> {
  try {
    await buildProgram().parseAsync(argv as string[]);
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed the usage error or the help text.
      return error.exitCode === 0 ? EXIT.ok : EXIT.failure;
    }
    if (error instanceof CliError) {
      console.error(`wid: error: ${error.message}`);
      return error.exitCode;
    }
    console.error(`wid: error: ${error instanceof Error ? error.message : String(error)}`);
    if (debug && error instanceof Error) console.error(error.stack);
    return EXIT.failure;
  }
}
