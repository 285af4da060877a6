/**
 * The contract between wid's generic planner and a cloud. Each cloud implements one
 * {@link CloudAdapter}: `observe` reads the cloud, `compare` computes what must change
 * (pure: no IO, no SDK), `apply` writes. The generic planner applies the install
 * semantics (install flag, pending changes, conflicts, orphans, prune, invalid files)
 * on top of the adapter's comparison, and never imports an SDK.
 *
 * How a cloud maps onto it:
 * - AWS: the integration-wide resource is the account's IAM OIDC provider for the
 *   issuer. Per identity, a role with its trust policy and one inline policy.
 * - Google Cloud: the integration-wide resources are the workload identity pool and its
 *   OIDC provider (both created by long-running operations, which `apply` waits for);
 *   per identity, a custom role and its binding on the project's IAM policy. Bindings
 *   share one project policy, so that adapter's `apply` should batch all binding
 *   changes of an integration into one read-modify-write with the policy's etag rather
 *   than write per identity. `apply` receives every change of the integration at once
 *   for that reason.
 *
 * Adding a provider's adapter:
 * 1. Define its observation type (extending {@link IntegrationObservation}) and put it in
 *    {@link ObservationByProvider}; add its change payloads to {@link ChangeDetails}, each
 *    with a `kind` of its own.
 * 2. Implement `CloudAdapter<"gcp">`: `compare` in files that import no SDK, resource
 *    names as `TYPE/NAME` with the types of `ResourceType`, and every SDK error converted
 *    into a {@link CloudError} where the call is made.
 * 3. Return it from `createAdapters` in `providers/registry.ts`. The dispatch in
 *    `reconcile/observe.ts` already has a case per provider.
 */

import type { Logger } from "pino";

import type { AwsIdentity, AwsIntegration, GcpIdentity, GcpIntegration, Integration, Provider } from "../config/model.js";
import { ExpectedError } from "../errors/expected.js";
import type { ChangeAction, ResourceChange, ResourceType } from "../plan/types.js";
import type { AwsChangeDetails, AwsObservation } from "./aws/types.js";
import type { GcpChangeDetails, GcpObservation } from "./gcp/types.js";

/** Provider-specific payload of a planned change: what `apply` writes. */
export type ChangeDetails = AwsChangeDetails | GcpChangeDetails;

/** What an adapter read of one integration. Each provider extends it with its own facts. */
export interface IntegrationObservation {
  provider: Provider;
  /** The integration's name. */
  integration: string;
  /** The account (AWS) or project (Google Cloud) the credentials act in, as the cloud reports it. */
  account: string;
  /**
   * sha256 of every observed fact that `compare` reads, as `sha256:HEX`. A saved plan
   * stores it, and `wid apply` refuses the plan when a new observation gives another
   * value. Facts that cannot change the comparison (unrelated roles) are left out.
   */
  fingerprint: string;
}

/** The observation type of each provider. */
export interface ObservationByProvider {
  aws: AwsObservation;
  gcp: GcpObservation;
}

export interface IntegrationByProvider {
  aws: AwsIntegration;
  gcp: GcpIntegration;
}

export interface IdentityByProvider {
  aws: AwsIdentity;
  gcp: GcpIdentity;
}

/** The desired state of one integration, from the configuration. */
export interface DesiredIntegration<P extends Provider = Provider> {
  integration: IntegrationByProvider[P];
  /** `Settings.issuer`: the URL the OIDC provider trusts. */
  issuer: string;
  /** The valid identities of this integration, installed or not, in byte order of names. */
  identities: readonly IdentityByProvider[P][];
  /**
   * Names of identities whose files are invalid now. Their resources are never
   * changed or deleted, and `compare` must not list them as removals.
   */
  protectedNames: ReadonlySet<string>;
  /**
   * The integration of every valid identity of the repository that belongs to another
   * integration, by identity name. An owned resource of such an identity is not a
   * removal when the identity's integration in the file uses the very same resource
   * (same account or project, same name): that integration takes it over instead.
   */
  elsewhere: ReadonlyMap<string, Integration>;
}

/** The cloud names of an identity's resources, as the status file stores them. */
export interface IdentityReference {
  aws?: { roleName: string; roleArn: string };
  gcp?: { role: string; principal: string };
}

/**
 * How an identity's resources compare with its file.
 * - `absent`: nothing exists; `changes` create everything.
 * - `present`: wid's resources exist; `changes` are empty when they match the file.
 * - `conflict`: a resource of the same name exists that wid does not own (or that
 *   another integration owns); `changes` is empty and `message` states what to do.
 * - `rejected`: the file asks for something the cloud cannot hold (a size or
 *   character limit); `changes` is empty and `message` names the file, field and limit.
 */
export interface IdentityComparison {
  status: "absent" | "present" | "conflict" | "rejected";
  message?: string;
  /** Every resource the identity has when installed, as `TYPE/NAME`, for "unchanged" outcomes. */
  resources: string[];
  /** Changes that make the cloud match the file, in the order `apply` must make them. */
  changes: ResourceChange[];
  /**
   * A replacement of a resource that the cloud cannot change in place, such as an IAM
   * role under another path: `changes` delete the owned resource and create it again,
   * and stand in for the identity's other changes. The planner applies them only when
   * deletes are allowed (`prune: true`) and the identity is installed; otherwise it
   * applies the identity's in-place `changes` and reports `reason` as pending.
   */
  replacement?: { changes: ResourceChange[]; reason: string };
  /**
   * Differences outside the permissions that change who can use the identity, such as
   * a trust policy or binding members added outside wid, as a clause. With
   * `install: false` they are not removed and the identity is reported `drifted`.
   */
  drift?: string;
  /** Hash of the permissions in the cloud now (see `permissionsHash`), or null when absent. */
  installedHash: string | null;
  /** When the identity's role was created, as ISO 8601, or null. */
  createdAt: string | null;
  reference: IdentityReference;
}

/** How the integration-wide resources compare with the configuration. */
export interface IntegrationResourcesComparison {
  /**
   * `conflict`: a resource of the same name exists that wid does not own. `rejected`:
   * the settings ask for something the cloud cannot hold, such as an issuer URL over
   * IAM's length limit. Both block every identity of the integration.
   */
  status: "absent" | "present" | "conflict" | "rejected";
  message?: string;
  /** ARN of the AWS OIDC provider or resource name of the Google pool provider, or null while absent. */
  reference: string | null;
  resources: string[];
  /** Create or update changes, in apply order. The generic planner decides whether they are needed now. */
  changes: ResourceChange[];
}

/** Resources that wid owns for an identity that is no longer desired in this integration. */
export interface IdentityRemoval {
  identity: string;
  /** Deletes in apply order: permissions before the role. */
  changes: ResourceChange[];
  installedHash: string | null;
  createdAt: string | null;
  reference: IdentityReference;
}

/** The result of `compare`: computed from the desired state and one observation only. */
export interface IntegrationComparison {
  integration: IntegrationResourcesComparison;
  /** One entry per desired identity. */
  identities: ReadonlyMap<string, IdentityComparison>;
  /**
   * Owned resources that no desired identity of the integration uses, and that belong
   * to no protected identity, keyed by the removed role's name. An identity can appear
   * both here and in `identities` when its role name changed (a new prefix).
   */
  removals: ReadonlyMap<string, IdentityRemoval>;
}

export type OutcomeKind = "created" | "updated" | "deleted" | "unchanged" | "failed";

/** What happened to one resource during apply. */
export interface ResourceOutcome {
  resource: string;
  type: ResourceType;
  provider: Provider;
  integration: string;
  identity: string | null;
  /** The planned action, or null for a resource that needed no change. */
  action: ChangeAction | null;
  outcome: OutcomeKind;
  /** Why the change failed, naming the call and what to do. Never contains secrets. */
  message?: string;
  /** The kind of cloud error a failed change met, when a cloud call failed; absent for a change that was not attempted. */
  errorKind?: CloudErrorKind;
  /** When a created resource was created, as ISO 8601. */
  createdAt?: string;
  /** ARN or resource name of a created resource, or of the resource a failed change left in place. */
  reference?: string;
  /**
   * For a failed change that deleted something before it failed (a role replacement):
   * `restored` when the previous resource was put back as observed, so the cloud is as
   * it was before the apply (with `reference` and `createdAt` of the restored
   * resource); `failed` when it could not be, so the resource is gone (no `reference`)
   * or lacks its permissions (`reference` names it) until the next run. Absent for
   * every other change.
   */
  rollback?: "restored" | "failed";
}

/** Tuning of `apply`. */
export interface ApplyOptions {
  /** Maximum concurrent identities per integration. Default {@link DEFAULT_PARALLELISM}. */
  parallelism: number;
  /**
   * How long to wait out eventual consistency, such as IAM rejecting a role whose
   * trust names an OIDC provider created seconds ago. Defaults in {@link DEFAULT_CONSISTENCY_WAIT}.
   */
  consistencyWait: { initialDelayMs: number; maxDelayMs: number; totalMs: number };
  /**
   * Stops the apply at its next safe point once aborted: a write in progress finishes,
   * and changes not started yet are reported failed with {@link NOT_STARTED_MESSAGE}.
   * Default: the apply runs to its end.
   */
  signal?: AbortSignal;
}

/** The message of a change that was not started because the apply was stopped. */
export const NOT_STARTED_MESSAGE = "not attempted because the run was stopped";

/**
 * Tells whether a cloud error may go away on its own, so that running again soon can
 * help: an unreachable endpoint, a concurrent change, or `other`, which includes
 * throttling that outlasted the SDK's retries. Missing or rejected credentials, a wrong
 * account, a denied call and a rejected request need someone to act first.
 */
export function isTransientKind(kind: CloudErrorKind): boolean {
  return kind === "unreachable" || kind === "conflict" || kind === "other";
}

/** Default identities written concurrently per integration. IAM throttles mutations at a few per second per account. */
export const DEFAULT_PARALLELISM = 8;

/** IAM usually accepts a new OIDC provider in trust policies within seconds; wait up to two minutes. */
export const DEFAULT_CONSISTENCY_WAIT: ApplyOptions["consistencyWait"] = { initialDelayMs: 1000, maxDelayMs: 8000, totalMs: 120_000 };

export interface ObserveRequest<P extends Provider = Provider> {
  integration: IntegrationByProvider[P];
  /** `Settings.issuer`: names the OIDC provider to look for. */
  issuer: string;
  logger: Logger;
}

export interface ApplyRequest<P extends Provider = Provider> {
  integration: IntegrationByProvider[P];
  /**
   * Every planned change of the integration, in plan order: integration-wide resources
   * first, then per identity in dependency order, deletes last. The adapter keeps the
   * order within an identity and may run identities concurrently.
   */
  changes: readonly ResourceChange[];
  observation: ObservationByProvider[P];
  options: ApplyOptions;
  logger: Logger;
}

/**
 * One cloud. Implementations convert SDK errors once, into {@link CloudError}, so
 * that every message names the integration, identity, resource and call.
 */
export interface CloudAdapter<P extends Provider = Provider> {
  readonly provider: P;

  /**
   * Reads everything `compare` needs about one integration, in as few calls as the
   * cloud allows. Checks that the credentials act in the integration's account or
   * project, and throws a {@link CloudError} otherwise, or when the cloud cannot be
   * reached or the credentials are missing.
   */
  observe(request: ObserveRequest<P>): Promise<ObservationByProvider[P]>;

  /** Computes the changes that make the cloud match `desired`. Pure: no IO and no SDK. */
  compare(desired: DesiredIntegration<P>, observation: ObservationByProvider[P]): IntegrationComparison;

  /**
   * Makes the planned changes and returns one outcome per change, in any order. A
   * failed change is reported, never thrown; changes that depend on it are reported
   * failed without being attempted. Before the first write it checks the caller's
   * account or project again. Throws only for a bug.
   */
  apply(request: ApplyRequest<P>): Promise<ResourceOutcome[]>;
}

/** The adapters of one run, by provider. A provider without an adapter is reported as not supported. */
export type AdapterRegistry = { [P in Provider]?: CloudAdapter<P> };

/** Why a cloud call failed, by how wid reacts to it. */
export type CloudErrorKind =
  /** No credentials were found, or they were rejected. */
  | "credentials"
  /** The credentials act in another account or project than the integration's. */
  | "wrong-account"
  /** The endpoint could not be reached, or timed out. */
  | "unreachable"
  /** The caller lacks a permission. */
  | "access-denied"
  /** The request breaks a limit or a rule of the cloud; retrying cannot help. */
  | "invalid-request"
  /** A resource exists or was changed concurrently; the next run converges. */
  | "conflict"
  /** Anything else. */
  | "other";

/** A cloud call that failed, converted once at the adapter boundary. */
export class CloudError extends ExpectedError {
  readonly kind: CloudErrorKind;
  readonly provider: Provider;
  readonly integration: string;
  readonly identity: string | null;
  readonly resource: string | null;
  /** The API call, such as `iam:CreateRole`. */
  readonly call: string | null;
  /** The cloud's error code, such as `AccessDenied`. */
  readonly code: string | null;

  constructor(
    message: string,
    fields: { kind: CloudErrorKind; provider: Provider; integration: string; identity?: string | null; resource?: string | null; call?: string | null; code?: string | null },
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "CloudError";
    this.kind = fields.kind;
    this.provider = fields.provider;
    this.integration = fields.integration;
    this.identity = fields.identity ?? null;
    this.resource = fields.resource ?? null;
    this.call = fields.call ?? null;
    this.code = fields.code ?? null;
  }
}
