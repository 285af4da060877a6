import {
  AddClientIDToOpenIDConnectProviderCommand,
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetOpenIDConnectProviderCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  RemoveRoleFromInstanceProfileCommand,
  TagOpenIDConnectProviderCommand,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
} from "@aws-sdk/client-iam";

import type { ResourceChange } from "../../plan/types.js";
import type { ChangeDetails, OutcomeKind, ResourceOutcome } from "../types.js";
import { CloudError } from "../types.js";
import type { WriteContext } from "./apply.js";
import { retryWhileTransient } from "./consistency.js";
import { awsErrorCode, convertAwsError, isInvalidPrincipal } from "./errors.js";
import type { LimitViolation } from "./limits.js";
import { checkOidcProviderLimits, checkRoleLimits, checkTags, IAM_LIMITS, sizeWithoutWhitespace } from "./limits.js";
import { replaceRole } from "./replace.js";
import { isOwned, tagRecord } from "./tags.js";
import type { AwsChangeDetails } from "./types.js";

/**
 * What a write learned: a different outcome than the planned action's, and facts for
 * the status. A write that fails after it changed something returns `failed` with the
 * facts of what it left, instead of throwing.
 */
export interface WriteResult {
  outcome?: OutcomeKind;
  facts: Pick<ResourceOutcome, "createdAt" | "reference" | "message" | "errorKind" | "rollback">;
}

/** Sends one IAM call, retrying while `transient` (or IAM's eventual consistency) accepts its error; throws a {@link CloudError}. */
export type AwsSend = <T>(call: string, attempt: () => Promise<T>, transient?: (error: unknown) => boolean) => Promise<T>;

/**
 * Returns the sender of a change's calls: it waits out IAM's eventual consistency
 * (an OIDC provider not known yet, `ConcurrentModification`, and what `transient`
 * accepts) and converts errors once. Waits end early when `context.options.signal` aborts.
 */
export function awsSender(change: ResourceChange, context: WriteContext): AwsSend {
  return async <T>(call: string, attempt: () => Promise<T>, transient: (error: unknown) => boolean = () => false): Promise<T> => {
    const isTransient = (error: unknown): boolean =>
      (isInvalidPrincipal(error) && !context.principalWait.exhausted) || awsErrorCode(error) === "ConcurrentModification" || transient(error);
    try {
      return await retryWhileTransient(attempt, isTransient, context.options.consistencyWait, (error, delayMs, attemptNumber) => {
        context.logger.warn({ identity: change.identity, resource: change.resource, call, code: awsErrorCode(error), delayMs, attempt: attemptNumber }, "waiting for IAM eventual consistency");
      }, context.options.signal);
    } catch (error) {
      if (isInvalidPrincipal(error)) context.principalWait.exhausted = true;
      throw convertAwsError(error, { integration: context.integration.name, call, identity: change.identity, resource: change.resource });
    }
  };
}

/**
 * Sends the IAM calls of one planned change. Limits are checked again before the
 * call, because emulators accept what IAM rejects. Throws a {@link CloudError}.
 */
export async function writeChange(change: ResourceChange, context: WriteContext): Promise<WriteResult> {
  const details = change.details;
  if (details === undefined || !isAwsDetails(details)) {
    throw new CloudError(`${change.resource} has no AWS details; an offline plan cannot be applied`, { kind: "other", provider: "aws", integration: context.integration.name, identity: change.identity, resource: change.resource });
  }
  rejectOverLimit(change, details, context);

  const iam = context.clients.iam;
  const send = awsSender(change, context);
  // A delete of something already gone has the outcome it asked for.
  const ignoreMissing = async (call: string, attempt: () => Promise<unknown>): Promise<void> => {
    try {
      await send(call, attempt);
    } catch (error) {
      if (!(error instanceof CloudError && error.code === "NoSuchEntity")) throw error;
    }
  };

  switch (details.kind) {
    case "aws-create-oidc-provider": {
      try {
        const response = await send("iam:CreateOpenIDConnectProvider", () =>
          iam.send(new CreateOpenIDConnectProviderCommand({ Url: details.url, ClientIDList: details.clientIds, Tags: details.tags })),
        );
        return { facts: { ...(response.OpenIDConnectProviderArn !== undefined ? { reference: response.OpenIDConnectProviderArn } : {}) } };
      } catch (error) {
        // Another integration of the same account may have created it moments ago in this run.
        if (!(error instanceof CloudError && error.code === "EntityAlreadyExists")) throw error;
        return adoptConcurrentProvider(change, details.arn, context, send);
      }
    }
    case "aws-update-oidc-provider":
      for (const clientId of details.addClientIds) {
        await send("iam:AddClientIDToOpenIDConnectProvider", () => iam.send(new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: details.arn, ClientID: clientId })));
      }
      if (details.tags.length > 0) {
        await send("iam:TagOpenIDConnectProvider", () => iam.send(new TagOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: details.arn, Tags: details.tags })));
      }
      return { facts: { reference: details.arn } };
    case "aws-create-role": {
      const response = await send("iam:CreateRole", () =>
        iam.send(
          new CreateRoleCommand({
            RoleName: details.roleName,
            Path: details.path,
            AssumeRolePolicyDocument: details.trustPolicy,
            ...(details.description !== null ? { Description: details.description } : {}),
            ...(details.permissionsBoundary !== null ? { PermissionsBoundary: details.permissionsBoundary } : {}),
            Tags: details.tags,
          }),
        ),
      );
      const createdAt = response.Role?.CreateDate?.toISOString();
      const arn = response.Role?.Arn;
      return { facts: { ...(createdAt !== undefined ? { createdAt } : {}), ...(arn !== undefined ? { reference: arn } : {}) } };
    }
    case "aws-update-role":
      for (const policyArn of details.detachPolicies) {
        await ignoreMissing("iam:DetachRolePolicy", () => iam.send(new DetachRolePolicyCommand({ RoleName: details.roleName, PolicyArn: policyArn })));
      }
      if (details.trustPolicy !== null) {
        const document = details.trustPolicy;
        await send("iam:UpdateAssumeRolePolicy", () => iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: details.roleName, PolicyDocument: document })));
      }
      if (details.permissionsBoundary === "remove") {
        await ignoreMissing("iam:DeleteRolePermissionsBoundary", () => iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: details.roleName })));
      } else if (details.permissionsBoundary !== null) {
        const boundary = details.permissionsBoundary;
        await send("iam:PutRolePermissionsBoundary", () => iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: details.roleName, PermissionsBoundary: boundary })));
      }
      if (details.description !== null) {
        const description = details.description;
        await send("iam:UpdateRole", () => iam.send(new UpdateRoleCommand({ RoleName: details.roleName, Description: description })));
      }
      if (details.tagsToSet.length > 0) {
        await send("iam:TagRole", () => iam.send(new TagRoleCommand({ RoleName: details.roleName, Tags: details.tagsToSet })));
      }
      if (details.tagsToRemove.length > 0) {
        await send("iam:UntagRole", () => iam.send(new UntagRoleCommand({ RoleName: details.roleName, TagKeys: details.tagsToRemove })));
      }
      return { facts: {} };
    case "aws-replace-role":
      return replaceRole(change, details, context);
    case "aws-put-role-policy":
      // Right after CreateRole, IAM may not see the role yet.
      await send(
        "iam:PutRolePolicy",
        () => iam.send(new PutRolePolicyCommand({ RoleName: details.roleName, PolicyName: details.policyName, PolicyDocument: details.document })),
        (error) => change.action === "create" && awsErrorCode(error) === "NoSuchEntity",
      );
      return { facts: {} };
    case "aws-delete-role-policy":
      await ignoreMissing("iam:DeleteRolePolicy", () => iam.send(new DeleteRolePolicyCommand({ RoleName: details.roleName, PolicyName: details.policyName })));
      return { facts: {} };
    case "aws-delete-role":
      for (const policyArn of details.detachPolicies) {
        await ignoreMissing("iam:DetachRolePolicy", () => iam.send(new DetachRolePolicyCommand({ RoleName: details.roleName, PolicyArn: policyArn })));
      }
      for (const profile of details.instanceProfiles) {
        await ignoreMissing("iam:RemoveRoleFromInstanceProfile", () => iam.send(new RemoveRoleFromInstanceProfileCommand({ RoleName: details.roleName, InstanceProfileName: profile })));
      }
      await ignoreMissing("iam:DeleteRole", () => iam.send(new DeleteRoleCommand({ RoleName: details.roleName })));
      return { facts: {} };
  }
}

/** Accepts a provider that appeared between observation and create, when it carries wid's ownership tag. */
async function adoptConcurrentProvider(
  change: ResourceChange,
  arn: string,
  context: WriteContext,
  send: AwsSend,
): Promise<WriteResult> {
  const response = await send("iam:GetOpenIDConnectProvider", () => context.clients.iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn })));
  if (!isOwned(tagRecord(response.Tags))) {
    throw new CloudError(`iam:CreateOpenIDConnectProvider on ${change.resource} (integration ${context.integration.name}) failed: an OIDC provider for the issuer appeared without wid's ownership tag; wid leaves it untouched`, {
      kind: "conflict",
      provider: "aws",
      integration: context.integration.name,
      resource: change.resource,
      call: "iam:CreateOpenIDConnectProvider",
      code: "EntityAlreadyExists",
    });
  }
  return { outcome: "unchanged", facts: { reference: arn, message: "created moments ago by another integration or run" } };
}

function isAwsDetails(details: ChangeDetails): details is AwsChangeDetails {
  return details.kind.startsWith("aws-");
}

function rejectOverLimit(change: ResourceChange, details: AwsChangeDetails, context: WriteContext): void {
  let violations: LimitViolation[] = [];
  switch (details.kind) {
    case "aws-create-oidc-provider":
      violations = checkOidcProviderLimits(details.url, details.clientIds, details.tags);
      break;
    case "aws-create-role":
      violations = checkRoleLimits({ ...details, policyName: "", policy: "" });
      break;
    case "aws-replace-role":
      violations = checkRoleLimits({ ...details.create, policyName: details.policy.policyName, policy: details.policy.document });
      break;
    case "aws-update-role":
      violations = checkTags(details.tagsToSet);
      if (details.trustPolicy !== null && sizeWithoutWhitespace(details.trustPolicy) > IAM_LIMITS.trustPolicy) {
        violations.push({ field: "spec.issuer", message: `gives a trust policy over IAM's default limit of ${IAM_LIMITS.trustPolicy} characters` });
      }
      break;
    case "aws-put-role-policy":
      if (sizeWithoutWhitespace(details.document) > IAM_LIMITS.roleInlinePolicies) {
        violations.push({ field: "spec.aws.policy", message: `is over IAM's limit of ${IAM_LIMITS.roleInlinePolicies} characters without whitespace for a role's inline policies` });
      }
      break;
    default:
      break;
  }
  if (violations.length === 0) return;
  const text = violations.map((violation) => `${violation.field} ${violation.message}`).join("; ");
  throw new CloudError(`${change.resource} (integration ${context.integration.name}) was not sent: ${text}`, {
    kind: "invalid-request",
    provider: "aws",
    integration: context.integration.name,
    identity: change.identity,
    resource: change.resource,
  });
}
