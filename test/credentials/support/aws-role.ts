import { CreateOpenIDConnectProviderCommand, CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";

import { motoEnv } from "../../support/moto.js";

/** What the role helper needs to know about the identity. */
export interface RoleRequest {
  issuer: string;
  identity: string;
  /** Role path, such as `/workload-identity/`. */
  rolePath: string;
  roleName: string;
  policy: Record<string, unknown>;
}

/**
 * Creates, directly through the IAM API of moto, what `wid apply` creates for one AWS
 * identity: the issuer's OIDC provider with client ID sts.amazonaws.com, and a role that
 * trusts only tokens with this issuer, `aud` sts.amazonaws.com and `sub` identity:NAME,
 * with the identity's policy inline. Returns the role ARN.
 *
 * NOTE: This replaces `wid apply` so that the credential tests do not depend on
 * the AWS apply; once it lands, calling it here makes the test cover both.
 */
export async function createRoleInMoto(endpoint: string, request: RoleRequest): Promise<string> {
  const env = motoEnv(endpoint);
  const iam = new IAMClient({
    endpoint,
    region: env.AWS_REGION,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? "", secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? "" },
  });
  const host = new URL(request.issuer).host;

  const provider = await iam.send(new CreateOpenIDConnectProviderCommand({ Url: request.issuer, ClientIDList: ["sts.amazonaws.com"] }));
  const trust = {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: provider.OpenIDConnectProviderArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: { StringEquals: { [`${host}:aud`]: "sts.amazonaws.com", [`${host}:sub`]: `identity:${request.identity}` } },
      },
    ],
  };
  const role = await iam.send(new CreateRoleCommand({ RoleName: request.roleName, Path: request.rolePath, AssumeRolePolicyDocument: JSON.stringify(trust) }));
  await iam.send(new PutRolePolicyCommand({ RoleName: request.roleName, PolicyName: "wid", PolicyDocument: JSON.stringify(request.policy) }));
  iam.destroy();
  return role.Role?.Arn ?? "";
}
