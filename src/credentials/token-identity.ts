import type { ConfigModel, Integration, Settings } from "../config/model.js";
import { didYouMean } from "../config/suggest.js";
import { IssuerError } from "../issuer/errors.js";
import { readStatusFile } from "../status/file.js";

/** The identity that `wid token` mints for, and the integration whose audience the token gets. */
export interface TokenIdentity {
  name: string;
  integration: Integration;
  /**
   * Set when the identity's file is invalid or cannot be parsed, so the integration
   * came from the status file: the file, relative to the config root.
   */
  brokenFile?: string;
}

/**
 * Finds the identity `name` that a token is minted for. A valid identity comes from the
 * config. An identity whose file is invalid or cannot be parsed keeps what the last
 * reconcile installed, so, as `wid credentials` does, its integration comes from the
 * status file. Throws an {@link IssuerError} that names the cause otherwise: an unknown name
 * (with a close match), a broken file with no status entry, or unreadable files that
 * may define the name.
 */
export async function resolveTokenIdentity(root: string, model: ConfigModel, settings: Settings, name: string): Promise<TokenIdentity> {
  const identity = model.identities.get(name);
  if (identity !== undefined) {
    const integration = model.integrations.get(identity.integration);
    if (integration === undefined) throw new IssuerError(`identity ${name} uses integration ${identity.integration}, which is missing or invalid`);
    return { name, integration };
  }

  const { status } = await readStatusFile(root, settings.statusFile);
  const recorded = status?.identities[name];
  const unreadable = new Set(model.unreadableFiles);
  const invalidFile = model.invalidIdentities.get(name)?.source.file;
  const brokenFile = invalidFile ?? (recorded?.file != null && unreadable.has(recorded.file) ? recorded.file : undefined);

  if (brokenFile !== undefined) {
    const integration = recorded === undefined ? undefined : model.integrations.get(recorded.integration);
    if (recorded === undefined || integration === undefined || integration.provider !== recorded.provider) {
      throw new IssuerError(
        `identity ${name}: its file ${brokenFile} is invalid or cannot be parsed, and the status file records no installed identity of that name with a valid integration; run wid validate and fix the file`,
      );
    }
    return { name, integration, brokenFile };
  }
  if (unreadable.size > 0) {
    throw new IssuerError(`identity ${name} not found in the config; ${[...unreadable].join(", ")} cannot be parsed and may define it, run wid validate`);
  }
  throw new IssuerError(`identity ${name} not found in the config${didYouMean(name, model.identities.keys())}`);
}
