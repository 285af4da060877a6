/**
 * The replacement of a role that must move to another path. IAM cannot move a role, and
 * a role name is unique in the account whatever its path. So the old role has to be
 * deleted before the new one can be created, and no order keeps a role in place
 * throughout. wid shortens and guards that gap instead:
 * 0. a trust policy that differs from the one wid writes is fixed on the old role, so
 *    that a replacement that keeps failing does not keep a trust widened outside wid;
 * 1. the old role is taken apart (instance profiles, managed policies, inline policies)
 *    and deleted; a failed step puts back what was already taken, and stops;
 * 2. the new role is created under the new path, waiting out IAM while the name is
 *    still taken; when that fails, the old role is created again as observed (path,
 *    boundary, tags, inline and managed policies, instance profiles), with the trust
 *    policy wid writes: a trust widened outside wid is never written back;
 * 3. the new role gets its inline policy; when that fails, the new role stays and the
 *    next run puts the policy, as after any create.
 * Every failure is returned with what it left (see `ResourceOutcome.rollback`), and the
 * next run reads the account again: a role that is gone is created by the plan.
 */

import {
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  PutRolePolicyCommand,
  RemoveRoleFromInstanceProfileCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";

import type { ResourceChange } from "../../plan/types.js";
import { CloudError } from "../types.js";
import type { WriteContext } from "./apply.js";
import { awsErrorCode, convertAwsError } from "./errors.js";
import type { AwsChangeDetails, RoleSnapshot } from "./types.js";
import type { AwsSend, WriteResult } from "./write.js";
import { awsSender } from "./write.js";

type ReplaceDetails = Extract<AwsChangeDetails, { kind: "aws-replace-role" }>;

/** Replaces a role as the file header describes. Returns a failed result instead of throwing once the old role was touched. */
export async function replaceRole(change: ResourceChange, details: ReplaceDetails, context: WriteContext): Promise<WriteResult> {
  // The stop signal is not passed on: once started, a replacement runs to its end or is rolled back.
  const { signal: _signal, ...options } = context.options;
  const send = awsSender(change, { ...context, options });
  const iam = context.clients.iam;
  const { roleName, previous } = details;
  const log = context.logger.child({ identity: change.identity, resource: change.resource });

  // 0. Fix the old role's trust. A failure here has changed nothing, so it is thrown.
  if (!previous.trustMatches) {
    await send("iam:UpdateAssumeRolePolicy", () => iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: details.create.trustPolicy })));
  }

  // 1. Take the old role apart and delete it; undo in reverse order on failure.
  const undo: { call: string; run: () => Promise<unknown> }[] = [];
  try {
    for (const profile of previous.instanceProfiles) {
      await send("iam:RemoveRoleFromInstanceProfile", () => iam.send(new RemoveRoleFromInstanceProfileCommand({ RoleName: roleName, InstanceProfileName: profile })));
      undo.push({ call: "iam:AddRoleToInstanceProfile", run: () => iam.send(new AddRoleToInstanceProfileCommand({ RoleName: roleName, InstanceProfileName: profile })) });
    }
    for (const policyArn of previous.attachedPolicies) {
      await send("iam:DetachRolePolicy", () => iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn })));
      undo.push({ call: "iam:AttachRolePolicy", run: () => iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn })) });
    }
    for (const { policyName, document } of previous.inlinePolicies) {
      await send("iam:DeleteRolePolicy", () => iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })));
      if (document !== null) {
        undo.push({ call: "iam:PutRolePolicy", run: () => iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: policyName, PolicyDocument: document })) });
      }
    }
    await send("iam:DeleteRole", () => iam.send(new DeleteRoleCommand({ RoleName: roleName })));
  } catch (error) {
    const failure = asCloudError(error, change, context);
    log.error({ err: failure }, "role replacement failed before the old role was deleted; putting back what was removed");
    const undone = await runSteps([...undo].reverse(), send);
    const what = undone
      ? "the old role was not deleted, and what was removed from it was put back"
      : "the old role was not deleted, but putting back what was removed from it failed too, so it may lack permissions until the next run";
    return rolledBack(failure, undone, what, { arn: previous.arn, createdAt: null });
  }

  // 2. Create the new role. IAM may still hold the name for a moment after DeleteRole.
  let created: { arn?: string; createdAt?: string };
  try {
    const response = await send(
      "iam:CreateRole",
      () =>
        iam.send(
          new CreateRoleCommand({
            RoleName: roleName,
            Path: details.create.path,
            AssumeRolePolicyDocument: details.create.trustPolicy,
            ...(details.create.description !== null ? { Description: details.create.description } : {}),
            ...(details.create.permissionsBoundary !== null ? { PermissionsBoundary: details.create.permissionsBoundary } : {}),
            Tags: details.create.tags,
          }),
        ),
      (error) => awsErrorCode(error) === "EntityAlreadyExists",
    );
    created = { ...(response.Role?.Arn !== undefined ? { arn: response.Role.Arn } : {}), ...(response.Role?.CreateDate !== undefined ? { createdAt: response.Role.CreateDate.toISOString() } : {}) };
  } catch (error) {
    const failure = asCloudError(error, change, context);
    log.error({ err: failure }, "new role could not be created; creating the old role again");
    const restored = await recreatePrevious(iam, roleName, previous, details.create, send);
    if (restored.ok) return rolledBack(failure, true, `the old role was created again under ${previous.path} with its previous permissions and the trust policy wid writes`, restored);
    const left = restored.arn === null ? null : restored;
    const what = `putting the old role back failed too, so the identity has no working role until the next run ${left === null ? "creates it under the new path" : "finishes it"}`;
    return rolledBack(failure, false, what, left);
  }

  // 3. The new role's permissions. On failure the new role stays, and the next run puts the policy.
  try {
    await send(
      "iam:PutRolePolicy",
      () => iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: details.policy.policyName, PolicyDocument: details.policy.document })),
      (error) => awsErrorCode(error) === "NoSuchEntity",
    );
  } catch (error) {
    const failure = asCloudError(error, change, context);
    return {
      outcome: "failed",
      facts: {
        message: `${failure.message}; the role was replaced under ${details.create.path} but has no permissions yet, and the next run puts its policy`,
        errorKind: failure.kind,
        rollback: "failed",
        ...factsOf(created),
      },
    };
  }
  return { facts: factsOf(created) };
}

/**
 * Creates the observed role again under its old path, with its policies and instance
 * profiles, and with the trust policy and description of `create`. Returns `ok` false
 * when any step failed.
 */
async function recreatePrevious(
  iam: WriteContext["clients"]["iam"],
  roleName: string,
  previous: RoleSnapshot,
  create: ReplaceDetails["create"],
  send: AwsSend,
): Promise<{ ok: boolean; arn: string | null; createdAt: string | null }> {
  let response;
  try {
    response = await send(
      "iam:CreateRole",
      () =>
        iam.send(
          new CreateRoleCommand({
            RoleName: roleName,
            Path: previous.path,
            AssumeRolePolicyDocument: create.trustPolicy,
            ...(create.description !== null ? { Description: create.description } : {}),
            ...(previous.permissionsBoundary !== null ? { PermissionsBoundary: previous.permissionsBoundary } : {}),
            Tags: previous.tags,
          }),
        ),
      (error) => awsErrorCode(error) === "EntityAlreadyExists",
    );
  } catch {
    return { ok: false, arn: null, createdAt: null };
  }

  const steps = [
    ...previous.inlinePolicies.flatMap(({ policyName, document }) =>
      document === null ? [] : [{ call: "iam:PutRolePolicy", run: () => iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: policyName, PolicyDocument: document })) }],
    ),
    ...previous.attachedPolicies.map((policyArn) => ({ call: "iam:AttachRolePolicy", run: () => iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn })) })),
    ...previous.instanceProfiles.map((profile) => ({ call: "iam:AddRoleToInstanceProfile", run: () => iam.send(new AddRoleToInstanceProfileCommand({ RoleName: roleName, InstanceProfileName: profile })) })),
  ];
  const ok = await runSteps(steps, send, (error) => awsErrorCode(error) === "NoSuchEntity");
  return { ok, arn: response.Role?.Arn ?? previous.arn, createdAt: response.Role?.CreateDate?.toISOString() ?? null };
}

/** Runs each step with retries; returns whether all succeeded. A failed step does not stop the rest, so as much as possible is put back. */
async function runSteps(steps: readonly { call: string; run: () => Promise<unknown> }[], send: AwsSend, transient?: (error: unknown) => boolean): Promise<boolean> {
  let ok = true;
  for (const step of steps) {
    try {
      await send(step.call, step.run, transient);
    } catch {
      ok = false;
    }
  }
  return ok;
}

/** Builds the failed result of a replacement, naming the role it left (`left`), if any. */
function rolledBack(failure: CloudError, restored: boolean, what: string, left: { arn: string | null; createdAt: string | null } | null): WriteResult {
  return {
    outcome: "failed",
    facts: {
      message: `${failure.message}; ${what}`,
      errorKind: failure.kind,
      rollback: restored ? "restored" : "failed",
      ...(left?.arn != null ? { reference: left.arn } : {}),
      ...(left?.createdAt != null ? { createdAt: left.createdAt } : {}),
    },
  };
}

function factsOf(created: { arn?: string; createdAt?: string }): WriteResult["facts"] {
  return { ...(created.arn !== undefined ? { reference: created.arn } : {}), ...(created.createdAt !== undefined ? { createdAt: created.createdAt } : {}) };
}

function asCloudError(error: unknown, change: ResourceChange, context: WriteContext): CloudError {
  if (error instanceof CloudError) return error;
  return convertAwsError(error, { integration: context.integration.name, call: "iam", identity: change.identity, resource: change.resource });
}
