/**
 * The GitHub integration: check runs with the plan and line annotations, the pull
 * request plan comment, and the GitHub App webhook handler that the daemon mounts.
 */

export type { GithubWebhookHandler, GithubWebhookOptions } from "./webhook/handler.js";
export { createGithubWebhookHandler, MAX_WEBHOOK_BODY_BYTES } from "./webhook/handler.js";
export type { DispatchResult, GithubEventDispatcher, GithubEventOptions } from "./webhook/dispatch.js";
export { createGithubEventDispatcher } from "./webhook/dispatch.js";
export { signBody, verifySignature } from "./webhook/signature.js";
export type { PlanInput, Planner, PlannerChoice, PlannerOptions, PlannerResult, PlanningMode } from "./planner.js";
export { choosePlanner, NO_CREDENTIALS_REASON, offlinePlanner } from "./planner.js";
export type { OnlinePlannerOptions } from "./online-planner.js";
export { createOnlinePlanner } from "./online-planner.js";
export type { PlanCheckRequest, PlanCheckResult, PreparedConfig } from "./run-check.js";
export { runPlanCheck } from "./run-check.js";
export type { GithubAppCredentials } from "./client.js";
export type { GitHost } from "./host.js";
export { GithubApiError } from "./host.js";
