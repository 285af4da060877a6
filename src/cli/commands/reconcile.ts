import type { Command } from "commander";
import type { Logger } from "pino";

import { buildDaemonConfig, DaemonConfigError, RECONCILE_DEFAULTS, readDaemonEnvironment } from "../../daemon/config.js";
import type { DaemonConfig, ReconcileFlags } from "../../daemon/config.js";
import { Daemon, daemonOptionsFromConfig, runOnce } from "../../daemon/daemon.js";
import type { DaemonOptions } from "../../daemon/daemon.js";
import type { MountedHandler } from "../../daemon/http/router.js";
import { createLogger, secretMasker } from "../../daemon/logger.js";
import { chooseRunner } from "../../daemon/runners.js";
import { handleProcessSignals } from "../../daemon/signals.js";
import { CliError, EXIT } from "../errors.js";

export function registerReconcile(program: Command): void {
  const defaults = RECONCILE_DEFAULTS;
  program
    .command("reconcile")
    .description("run the GitOps daemon: pull the config repository, validate, plan, apply, then commit and push the status file")
    .requiredOption("--repo <url-or-path>", "config repository: an https or ssh URL, or a local path")
    .option("--branch <name>", "branch to reconcile and to push status commits to", defaults.branch)
    .option("--path <subdir>", "config directory inside the repository (default: the repository root)")
    .option("--work-dir <dir>", "folder for wid's clone of the repository; wid discards local changes in it", defaults.workDir)
    .option("--interval <duration>", "time between runs, such as 30s, 5m or 1h", defaults.interval)
    .option("--retry-interval <duration>", "time before the next run after a failed run", defaults.retryInterval)
    .option("--jitter <fraction>", "random extra delay as a fraction of the interval, from 0 to 1", defaults.jitter)
    .option("--timeout <duration>", "longest time a run may take before it is stopped", defaults.timeout)
    .option("--shutdown-timeout <duration>", "how long SIGTERM waits for the run in progress before killing git", defaults.shutdownTimeout)
    .option("--once", "run once and exit: 0 when the run succeeded, 1 otherwise")
    .option("--offline", "plan against the committed status file and apply nothing")
    .option("--suspend", "plan and write the status, but apply nothing, as suspend: true in Settings does")
    .option("--listen <host:port>", "address of the HTTP server for health, readiness, metrics and the webhook", defaults.listen)
    .option("--webhook-secret-file <file>", "file holding the GitHub webhook secret (default: the WID_WEBHOOK_SECRET variable)")
    .option("--author <name-and-email>", 'author of status commits, as "NAME <EMAIL>"', defaults.author)
    .option("--push-attempts <count>", "push attempts when someone else pushes first, from 1 to 20", defaults.pushAttempts)
    .option("--log-level <level>", "trace, debug, info, warn, error, fatal or silent (default: WID_LOG_LEVEL or info)")
    .action(async (flags: ReconcileFlags) => {
      const config = await daemonConfig(flags);
      const logger = createLogger({ level: config.logLevel, secrets: config.secrets });
      const mask = secretMasker(config.secrets);

      const choice = chooseRunner(config.offline);
      logger.info({ remote: config.remote, branch: config.branch, path: config.subdir, mode: choice.mode, gitCredentials: config.authSource, once: config.once }, "reconcile starting");
      if (choice.fallback) logger.warn({}, "no cloud runner in this build; running offline and applying nothing");
      if (config.urlCredentialsIgnored) logger.warn({}, "the --repo URL contains credentials; using WID_GIT_TOKEN instead");

      // Handlers mounted on the HTTP server, such as the issuer's discovery document and JWKS.
      const mounts: MountedHandler[] = [];
      const options = daemonOptionsFromConfig(config, choice.runner, logger, mounts);
      try {
        process.exitCode = config.once ? await reconcileOnce(options, logger) : await runDaemon(options, logger);
      } catch (error) {
        logger.error({ err: error }, "reconcile failed to start");
        throw new CliError(mask(error instanceof Error ? error.message : String(error)));
      }
    });
}

async function daemonConfig(flags: ReconcileFlags): Promise<DaemonConfig> {
  try {
    return await buildDaemonConfig(flags, readDaemonEnvironment(process.env), process.cwd());
  } catch (error) {
    if (error instanceof DaemonConfigError) throw new CliError(error.message);
    throw error;
  }
}

/** Runs once; SIGTERM or SIGINT stops the run at a safe point, and a second one kills git. */
async function reconcileOnce(options: DaemonOptions, logger: Logger): Promise<number> {
  const stop = new AbortController();
  const kill = new AbortController();
  const removeHandlers = handleProcessSignals({
    reload: () => logger.info({}, "SIGHUP ignored while running once"),
    terminate: (signal) => {
      if (stop.signal.aborted) kill.abort(new Error(`shutdown forced (${signal})`));
      else stop.abort(new Error(`shutdown requested (${signal})`));
    },
  });
  try {
    const report = await runOnce(options, { stop: stop.signal, kill: kill.signal });
    return report.outcome === "success" ? EXIT.ok : EXIT.failure;
  } finally {
    removeHandlers();
  }
}

/** Runs until SIGTERM or SIGINT; SIGHUP triggers a run. */
async function runDaemon(options: DaemonOptions, logger: Logger): Promise<number> {
  const daemon = await Daemon.start(options);
  await new Promise<void>((resolve) => {
    const removeHandlers = handleProcessSignals({
      reload: () => {
        logger.info({ signal: "SIGHUP" }, "signal received");
        daemon.trigger("signal");
      },
      terminate: (signal) => {
        logger.info({ signal }, "signal received");
        void daemon.stop(signal).then(() => {
          removeHandlers();
          resolve();
        });
      },
    });
  });
  return EXIT.ok;
}
