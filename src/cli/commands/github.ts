import type { Command } from "commander";

import { DEFAULT_CHECK_NAME } from "../../github/check-run.js";
import { baseStatusReader } from "../../github/base-status.js";
import { createInstallationOctokitFactory, createTokenOctokit } from "../../github/client.js";
import type { GithubCheckConfig } from "../../github/config.js";
import { GithubConfigError, readGithubCheckConfig } from "../../github/config.js";
import { GithubApiError } from "../../github/host.js";
import { createCommandLogger } from "../logger.js";
import { createOctokitHost } from "../../github/octokit-host.js";
import { createOnlinePlanner } from "../../github/online-planner.js";
import type { PlanningMode } from "../../github/planner.js";
import { choosePlanner } from "../../github/planner.js";
import { configPathInRepository } from "../../github/repository-path.js";
import { runPlanCheck } from "../../github/run-check.js";
import { CliError, EXIT } from "../errors.js";
import { readIssuerEnvironment } from "../../issuer/key-source.js";
import { cloudAdapters, configDirectory, issuerKeysOption } from "../options.js";
import type { GitEnvironment } from "../../git/client.js";

interface CheckOptions {
  offline?: boolean;
  online?: boolean;
  issuerKeys?: string;
  comment?: boolean;
  name: string;
  verbose?: boolean;
}

export function registerGithub(program: Command): void {
  const issuerEnvironment = readIssuerEnvironment(process.env);
  const gitEnvironment: GitEnvironment = { ...process.env };
  const github = program.command("github").description("report plans on GitHub pull requests");
  github
    .command("check")
    .description(
      "post the plan as a check run on the pull request's head commit, with annotations on the lines it concerns; " +
        "reads GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_EVENT_PATH and GITHUB_TOKEN (or WID_GITHUB_APP_ID, WID_GITHUB_APP_PRIVATE_KEY or " +
        "WID_GITHUB_APP_PRIVATE_KEY_FILE, and WID_GITHUB_APP_INSTALLATION_ID); plans against the cloud for the providers whose credentials the environment has " +
        "(AWS_* credential variables, GOOGLE_APPLICATION_CREDENTIALS) and against the status file for the others; " +
        "exit 0 when the check passed or needs attention, 1 when it failed",
    )
    .argument("[dir]", "config directory", ".")
    .option("--offline", "plan against the status file even when cloud credentials are present")
    .option("--online", "plan every integration against the cloud, even without detected credentials; one that cannot be read is reported as failed")
    .addOption(issuerKeysOption())
    .option("--comment", "also keep a comment with the plan on the pull request, updated in place on every push")
    .option("--name <name>", "check run name", DEFAULT_CHECK_NAME)
    .option("--verbose", "log each step as JSON lines on stderr")
    .action(async (dir: string, options: CheckOptions) => {
      if (options.offline === true && options.online === true) throw new CliError("pass either --offline or --online, not both");
      const config = await readConfig();
      const root = await configDirectory(dir);
      const logger = createCommandLogger({ level: options.verbose === true ? "info" : "warn" });
      const pathPrefix = await configPathInRepository(root, gitEnvironment, config.workspace);
      const choice = choosePlanner({
        mode: planningMode(options),
        credentials: config.cloudCredentials,
        online: (providers) => createOnlinePlanner({ adapters: cloudAdapters(options.issuerKeys, issuerEnvironment), logger, ...(providers !== undefined ? { providers } : {}) }),
      });
      const baseSha = config.baseSha;

      try {
        const octokit =
          config.auth.kind === "token"
            ? createTokenOctokit(config.apiUrl, config.auth.token, logger)
            : await createInstallationOctokitFactory(config.apiUrl, config.auth, logger)(config.auth.installationId);
        const result = await runPlanCheck({
          host: createOctokitHost(octokit, { owner: config.owner, repo: config.repo }),
          logger,
          name: options.name,
          headSha: config.headSha,
          pullRequest: config.pullRequest,
          comment: options.comment === true,
          planner: choice.planner,
          offlineReason: choice.offlineReason,
          prepare: () =>
            Promise.resolve({
              root,
              pathPrefix,
              ...(baseSha !== null ? { readStatus: baseStatusReader({ baseSha, headSha: config.headSha, configPrefix: pathPrefix, gitEnvironment }) } : {}),
            }),
        });

        console.log(`Check run ${result.checkRunId} on ${config.headSha.slice(0, 12)}: ${result.conclusion}: ${result.title}`);
        if (result.url !== null) console.log(result.url);
        if (result.comment !== null) console.log(`Plan comment: ${result.comment.created} created, ${result.comment.updated} updated, ${result.comment.unchanged} unchanged, ${result.comment.deleted} deleted.`);
        if (options.comment === true && config.pullRequest === null) console.log("No plan comment: this event is not a pull request.");
        process.exitCode = result.conclusion === "failure" ? EXIT.failure : EXIT.ok;
      } catch (error) {
        if (error instanceof GithubApiError && error.status === 403 && error.call === "checks.create") {
          throw new CliError(
            `${error.message}; the token needs the checks: write permission, and GITHUB_TOKEN is read-only on pull requests from forks (the wid GitHub App posts checks for those)`,
          );
        }
        if (error instanceof GithubApiError) throw new CliError(error.message);
        throw error;
      }
    });
}

function planningMode(options: CheckOptions): PlanningMode {
  if (options.offline === true) return "offline";
  return options.online === true ? "online" : "auto";
}

async function readConfig(): Promise<GithubCheckConfig> {
  try {
    return await readGithubCheckConfig(process.env);
  } catch (error) {
    if (error instanceof GithubConfigError) throw new CliError(error.message);
    throw error;
  }
}
