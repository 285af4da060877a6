import type { Logger } from "pino";

import type { ConfigModel } from "../config/model.js";
import type { PlanInput } from "../plan/online.js";
import { planOnline } from "../plan/online.js";
import type { Plan } from "../plan/types.js";
import type { AdapterRegistry } from "../providers/types.js";
import type { StatusFile } from "../status/types.js";
import { observeIntegrations } from "./observe.js";

/**
 * Plans a loaded config against the clouds, as `wid plan` does: every integration is
 * observed through `adapters`, and one that cannot be read is reported failed in the
 * plan. Reads the clouds and writes nothing, so it can plan a pull request's files,
 * which are only read as data.
 */
export async function planAgainstClouds(model: ConfigModel, previous: StatusFile | undefined, revision: string | null, adapters: AdapterRegistry, logger: Logger): Promise<Plan> {
  const sessions = await observeIntegrations(model, adapters, logger);
  const inputs = new Map<string, PlanInput>([...sessions].map(([name, session]) => [name, session.input]));
  return planOnline(model, previous, revision, inputs);
}
