import type { Logger } from "pino";

import type { GithubEventDispatcher, GithubEventOptions } from "../../github/webhook/dispatch.js";
import type { GithubEventListener } from "./github-webhook.js";

/**
 * The GitHub App settings of a daemon. The daemon supplies the rest: its branch, its
 * `--path` as the config path, its logger, and a trigger that requests a run.
 */
export type GithubAppSettings = Omit<GithubEventOptions, "branch" | "configPath" | "triggerReconcile" | "logger">;

/**
 * Returns the webhook listener that hands verified `pull_request` deliveries to the
 * App's dispatcher, which plans the pull request and posts a check run in the
 * background. It reports a delivery as handled when the dispatcher accepted it.
 */
export function pullRequestListener(dispatcher: GithubEventDispatcher, logger: Logger): GithubEventListener {
  return (delivery) => {
    const log = logger.child({ event: delivery.event, deliveryId: delivery.deliveryId });
    const result = dispatcher.dispatch(delivery.event, delivery.payload, log);
    log.info({ status: result.status, result: result.body.status ?? result.body.error, reason: result.body.reason }, "pull request delivery handled");
    return result.status === 202;
  };
}
