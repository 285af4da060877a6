import type { Command } from "commander";
import { pino } from "pino";
import type { Logger } from "pino";

import { buildDaemonConfig, DaemonConfigError, RECONCILE_DEFAULTS, readDaemonEnvironment } from "../../daemon/config.js";
import type { DaemonConfig, ReconcileFlags } from "../../daemon/config.js";
import { Daemon, daemonOptionsFromConfig, runOnce } from "../../daemon/daemon.js";
import type { DaemonOptions, HttpExtras } from "../../daemon/daemon.js";
import { createLogger, secretMasker } from "../../log/logger.js";
import { chooseRunner } from "../../daemon/runners.js";
import { handleProcessSignals } from "../../daemon/signals.js";
import { createOnlinePlanner } from "../../github/online-planner.js";
import { offlinePlanner } from "../../github/planner.js";
import type { Planner } from "../../github/planner.js";
import { readIssuerEnvironment } from "../../issuer/key-source.js";
import type { AdapterRegistry } from "../../providers/types.js";
import { CliError, EXIT } from "../errors.js";
import { cloudAdapters } from "../options.js";

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
    .option("--issuer-keys <file>", "issuer key set file whose JWKS and discovery document the HTTP server publishes (default: WID_ISSUER_KEYS_FILE, or the key set in WID_ISSUER_KEYS)")
    .option("--author <name-and-email>", 'author of status commits, as "NAME <EMAIL>"', defaults.author)
    .option("--push-attempts <count>", "push attempts when someone else pushes first, from 1 to 20", defaults.pushAttempts)
    .option("--log-level <level>", "trace, debug, info, warn, error, fatal or silent (default: WID_LOG_LEVEL or info)")
    .action(async (flags: ReconcileFlags) => {
      const config = await daemonConfig(flags);
      // The daemon is a service: its log is its output, so it goes to standard output.
      const logger = createLogger({ level: config.logLevel, secrets: config.secrets, destination: pino.destination({ dest: 1, sync: true }) });
      const mask = secretMasker(config.secrets);

      // The adapters get the issuer's keys for Google Cloud integrations with uploadJwks.
      const adapters: AdapterRegistry = config.offline ? {} : cloudAdapters(flags.issuerKeys, readIssuerEnvironment(process.env));
      const choice = chooseRunner(config.offline, adapters);
      logger.info({ remote: config.remote, branch: config.branch, path: config.subdir, mode: choice.mode, gitCredentials: config.authSource, once: config.once }, "reconcile starting");
      if (config.urlCredentialsIgnored) logger.warn({}, "the --repo URL contains credentials; using WID_GIT_TOKEN instead");

      const options = daemonOptionsFromConfig(config, choice, logger, httpExtras(config, adapters, logger));
      try {
        process.exitCode = config.once ? await reconcileOnce(options, logger) : await runDaemon(options, logger);
      } catch (error) {
        logger.error({ err: error }, "reconcile failed to start");
        throw new CliError(mask(error instanceof Error ? error.message : String(error)));
      }
    });
}

/** Builds the issuer's routes and the GitHub App's settings, when configured. The App plans pull requests as the runner plans: from the clouds, or offline. */
function httpExtras(config: DaemonConfig, adapters: AdapterRegistry, logger: Logger): HttpExtras {
  const extras: HttpExtras = {};
  if (config.issuerKeys !== undefined) extras.issuerKeys = config.issuerKeys;
  const app = config.githubApp;
  if (app !== undefined) {
    const planner: Planner = config.offline ? offlinePlanner : createOnlinePlanner({ adapters, logger: logger.child({ component: "pull-request-plan" }) });
    extras.githubApp = {
      app: { appId: app.credentials.appId, privateKey: app.credentials.privateKey, apiUrl: app.credentials.apiUrl },
      repository: app.repository,
      installationId: app.credentials.installationId,
      planner,
      offlineReason: config.offline ? "the daemon runs with --offline" : null,
    };
  }
  return extras;
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
