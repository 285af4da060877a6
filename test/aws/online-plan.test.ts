import { afterEach, describe, expect, it } from "vitest";

import { loadConfig } from "../../src/config/load.js";
import type { AwsIdentity, AwsIntegration, ConfigModel } from "../../src/config/model.js";
import { permissionsHash } from "../../src/plan/hash.js";
import type { PlanInput } from "../../src/plan/online.js";
import { planOnline } from "../../src/plan/online.js";
import type { Plan } from "../../src/plan/types.js";
import { compareAws } from "../../src/providers/aws/compare.js";
import { decodePolicyDocument } from "../../src/providers/aws/decode.js";
import { desiredRole } from "../../src/providers/aws/desired.js";
import { POLICY_NAME } from "../../src/providers/aws/resources.js";
import type { AwsObservation, ObservedOidcProvider, ObservedRole } from "../../src/providers/aws/types.js";
import type { StatusFile } from "../../src/status/types.js";
import { awsIdentity, awsIntegration, removeRepo, SETTINGS, WORKLOAD, writeRepo } from "./helpers.js";

const ISSUER = "https://oidc.example.com";
const PROVIDER: ObservedOidcProvider = {
  arn: "arn:aws:iam::123456789012:oidc-provider/oidc.example.com",
  url: "oidc.example.com",
  clientIds: ["sts.amazonaws.com"],
  tags: { "wid:managed-by": "wid" },
  createdAt: "2026-01-01T00:00:00.000Z",
};

let repos: string[] = [];
afterEach(async () => {
  await Promise.all(repos.map(removeRepo));
  repos = [];
});

async function model(files: Record<string, string>): Promise<ConfigModel> {
  const repo = await writeRepo({ "settings.yaml": SETTINGS, "integrations/aws-prod.yaml": awsIntegration("aws-prod"), "workloads/shop.yaml": WORKLOAD, ...files });
  repos.push(repo);
  return (await loadConfig(repo)).model;
}

/** The role wid would have created for `identity`, as IAM returns it. */
function installedRole(integration: AwsIntegration, identity: AwsIdentity, overrides: Partial<ObservedRole> = {}): ObservedRole {
  const want = desiredRole(integration, identity, ISSUER, "aws");
  return {
    name: want.roleName,
    path: want.path,
    arn: want.arn,
    roleId: `AROA${identity.name}`,
    createdAt: "2026-01-02T00:00:00.000Z",
    trustPolicy: decodePolicyDocument(encodeURIComponent(want.trustPolicyText)),
    inlinePolicies: new Map([[POLICY_NAME, decodePolicyDocument(encodeURIComponent(want.policyText))]]),
    attachedPolicies: [],
    permissionsBoundary: null,
    tags: Object.fromEntries(want.tags.map((tag) => [tag.Key, tag.Value])),
    instanceProfiles: [],
    ...overrides,
  };
}

function plan(config: ConfigModel, roles: ObservedRole[], options: { provider?: ObservedOidcProvider | null; previous?: StatusFile } = {}): Plan {
  const observation: AwsObservation = {
    provider: "aws",
    integration: "aws-prod",
    account: "123456789012",
    partition: "aws",
    fingerprint: "sha256:test",
    oidcProvider: options.provider === undefined ? PROVIDER : options.provider,
    roles: new Map(roles.map((role) => [role.name, role])),
  };
  const integration = config.integrations.get("aws-prod") as AwsIntegration;
  const input: PlanInput = {
    status: "observed",
    account: "123456789012",
    fingerprint: "sha256:test",
    compare: (desired) => compareAws({ integration, issuer: desired.issuer, identities: desired.identities.filter((identity): identity is AwsIdentity => identity.provider === "aws"), protectedNames: desired.protectedNames, elsewhere: desired.elsewhere }, observation),
  };
  return planOnline(config, options.previous, "rev2", new Map([["aws-prod", input]]));
}

function identity(config: ConfigModel, name: string): AwsIdentity {
  return config.identities.get(name) as AwsIdentity;
}

function integrationOf(config: ConfigModel): AwsIntegration {
  return config.integrations.get("aws-prod") as AwsIntegration;
}

describe("online plan", () => {
  it("plans nothing for an installed identity", async () => {
    const config = await model({ "identities/a.yaml": awsIdentity("a") });
    const result = plan(config, [installedRole(integrationOf(config), identity(config, "a"))]);
    expect(result.changes).toEqual([]);
    expect(result.identities.a?.state).toBe("installed");
    expect(result.identities.a?.observed?.installedHash).toBe(permissionsHash(identity(config, "a")));
  });

  it("creates the provider once, before the roles", async () => {
    const config = await model({ "identities/a.yaml": awsIdentity("a"), "identities/b.yaml": awsIdentity("b") });
    const result = plan(config, [], { provider: null });
    expect(result.changes.map((change) => `${change.action} ${change.resource}`)).toEqual([
      "create oidc-provider/oidc.example.com",
      "create role/wid-a",
      "create role-policy/wid-a/wid-permissions",
      "create role/wid-b",
      "create role-policy/wid-b/wid-permissions",
    ]);
  });

  it("holds the provider as pending while no identity is installed", async () => {
    const config = await model({ "identities/a.yaml": awsIdentity("a", { install: false }) });
    const result = plan(config, [], { provider: null });
    expect(result.changes).toEqual([]);
    expect(result.pending.map((change) => change.resource)).toEqual(["oidc-provider/oidc.example.com", "role/wid-a", "role-policy/wid-a/wid-permissions"]);
    expect(result.identities.a?.state).toBe("not-installed");
  });

  it("marks a saved but not installed change as pending-install", async () => {
    const config = await model({ "identities/a.yaml": awsIdentity("a", { install: false, actions: ["s3:GetObject", "s3:PutObject"] }) });
    const installed = installedRole(integrationOf(config), identity(config, "a"), {
      inlinePolicies: new Map([[POLICY_NAME, decodePolicyDocument('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}')]]),
    });
    const result = plan(config, [installed]);
    expect(result.changes).toEqual([]);
    expect(result.pending.map((change) => change.resource)).toEqual(["role-policy/wid-a/wid-permissions"]);
    expect(result.identities.a?.state).toBe("pending-install");
  });

  it("marks a change outside wid with install: false as drifted", async () => {
    const config = await model({ "identities/a.yaml": awsIdentity("a", { install: false }) });
    const tampered = installedRole(integrationOf(config), identity(config, "a"), {
      inlinePolicies: new Map([[POLICY_NAME, decodePolicyDocument('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}')]]),
    });
    const previous: StatusFile = {
      apiVersion: "wid/v1",
      kind: "Status",
      revision: "rev1",
      integrations: {},
      identities: {
        a: { provider: "aws", integration: "aws-prod", file: "identities/a.yaml", state: "installed", install: true, desiredHash: permissionsHash(identity(config, "a")), installedHash: permissionsHash(identity(config, "a")), installedRevision: "rev1", createdAt: null, workloads: [] },
      },
      workloads: {},
    };
    const result = plan(config, [tampered], { previous });
    expect(result.identities.a?.state).toBe("drifted");
    expect(result.changes).toEqual([]);
  });

  it("moves every change to pending while applying is suspended", async () => {
    const config = await model({ "settings.yaml": `${SETTINGS}  suspend: true\n`, "identities/a.yaml": awsIdentity("a") });
    const result = plan(config, [], { provider: null });
    expect(result.changes).toEqual([]);
    expect(result.pending).toHaveLength(3);
    expect(result.identities.a?.state).toBe("pending-install");
  });

  it("blocks the integration on an unowned provider", async () => {
    const config = await model({ "identities/a.yaml": awsIdentity("a") });
    const result = plan(config, [], { provider: { ...PROVIDER, tags: {} } });
    expect(result.changes).toEqual([]);
    expect(result.identities.a?.state).toBe("conflict");
    expect(result.conflicts[0]?.message).toContain("an IAM OIDC provider for oidc.example.com exists in account 123456789012 without wid's ownership tag");
  });

  it("adds the STS client ID to an owned provider", async () => {
    const config = await model({ "identities/a.yaml": awsIdentity("a") });
    const result = plan(config, [installedRole(integrationOf(config), identity(config, "a"))], { provider: { ...PROVIDER, clientIds: [] } });
    expect(result.changes.map((change) => `${change.action} ${change.resource}`)).toEqual(["update oidc-provider/oidc.example.com"]);
  });

  it("restores the trust policy, tags and attachments of an owned role", async () => {
    const config = await model({ "identities/a.yaml": awsIdentity("a") });
    const role = installedRole(integrationOf(config), identity(config, "a"), {
      trustPolicy: decodePolicyDocument('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}'),
      attachedPolicies: ["arn:aws:iam::aws:policy/AdministratorAccess"],
      inlinePolicies: new Map([
        [POLICY_NAME, installedRole(integrationOf(config), identity(config, "a")).inlinePolicies.get(POLICY_NAME) ?? decodePolicyDocument("")],
        ["extra", decodePolicyDocument('{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}')],
      ]),
    });
    const result = plan(config, [role]);
    expect(result.changes.map((change) => `${change.action} ${change.resource}`)).toEqual(["update role/wid-a", "delete role-policy/wid-a/extra"]);
    const attributes = result.changes[0]?.diff?.attributes ?? [];
    expect(attributes).toContain("trust policy differs from the one wid writes");
    expect(attributes).toContain("managed policy arn:aws:iam::aws:policy/AdministratorAccess was attached outside wid and is detached");
  });

  it("updates the description when the file changes it", async () => {
    const config = await model({ "identities/a.yaml": awsIdentity("a").replace("metadata: { name: a }", "metadata: { name: a, description: New text }") });
    const role = installedRole(integrationOf(config), identity(config, "a"), { tags: { "wid:managed-by": "wid", "wid:integration": "aws-prod", "wid:identity": "a", "wid:description-sha256": "0000000000000000" } });
    const result = plan(config, [role]);
    expect(result.changes[0]?.details).toMatchObject({ kind: "aws-update-role", description: "New text" });
  });

  it("keeps a role whose path changed while prune is off", async () => {
    const config = await model({ "identities/a.yaml": awsIdentity("a") });
    const role = installedRole(integrationOf(config), identity(config, "a"), { path: "/old/", arn: "arn:aws:iam::123456789012:role/old/wid-a" });
    const result = plan(config, [role]);
    expect(result.changes).toEqual([]);
    expect(result.pending.map((change) => `${change.action} ${change.resource} ${change.details?.kind ?? ""}`)).toEqual(["update role/wid-a aws-replace-role"]);
    expect(result.identities.a?.state).toBe("pending-install");
    expect(result.identities.a?.message).toBe(
      "rolePath changed: the role keeps its path /old/ and its ARN until it is replaced, which deletes it and so happens only with prune: true and install: true; now prune is off",
    );
    expect(result.identities.a?.observed?.reference.aws?.roleArn).toBe("arn:aws:iam::123456789012:role/old/wid-a");
  });

  it("updates a role in place while its replacement waits", async () => {
    const config = await model({ "identities/a.yaml": awsIdentity("a", { actions: ["s3:PutObject"] }) });
    const before = await model({ "identities/a.yaml": awsIdentity("a") });
    const role = installedRole(integrationOf(before), identity(before, "a"), { path: "/old/" });
    const result = plan(config, [role]);
    expect(result.changes.map((change) => `${change.action} ${change.resource}`)).toEqual(["update role-policy/wid-a/wid-permissions"]);
    expect(result.changes.some((change) => change.action === "delete")).toBe(false);
  });

  it("replaces a role whose path changed when prune is on", async () => {
    const config = await model({ "settings.yaml": `${SETTINGS}  prune: true\n`, "identities/a.yaml": awsIdentity("a") });
    const role = installedRole(integrationOf(config), identity(config, "a"), { path: "/old/" });
    const result = plan(config, [role]);
    expect(result.changes.map((change) => `${change.action} ${change.resource}`)).toEqual(["update role/wid-a"]);
    expect(result.changes[0]?.details).toMatchObject({ kind: "aws-replace-role", previous: { path: "/old/" }, create: { path: "/workload-identity/" } });
    expect(result.changes[0]?.diff?.attributes).toEqual(["path: /old/ -> /workload-identity/ (replaced: ARN arn:aws:iam::123456789012:role/workload-identity/wid-a -> arn:aws:iam::123456789012:role/workload-identity/wid-a)"]);
    expect(result.identities.a?.state).toBe("installed");
  });

  it("holds a path replacement with install: false", async () => {
    const config = await model({ "settings.yaml": `${SETTINGS}  prune: true\n`, "identities/a.yaml": awsIdentity("a", { install: false }) });
    const role = installedRole(integrationOf(config), identity(config, "a"), { path: "/old/" });
    const result = plan(config, [role]);
    expect(result.changes).toEqual([]);
    expect(result.pending.map((change) => change.details?.kind)).toEqual(["aws-replace-role"]);
    expect(result.identities.a?.state).toBe("pending-install");
  });

  it("reports a role left by a prefix change as orphaned", async () => {
    const config = await model({ "identities/a.yaml": awsIdentity("a") });
    const current = installedRole(integrationOf(config), identity(config, "a"));
    const stale = { ...current, name: "old-a", arn: "arn:aws:iam::123456789012:role/workload-identity/old-a" };
    const result = plan(config, [current, stale]);
    expect(result.changes).toEqual([]);
    expect(result.orphans[0]).toMatchObject({ identity: "a", resource: "role/old-a" });
    expect(result.orphans[0]?.message).toBe("the identity's role now has another name because roleNamePrefix changed; the old role role/old-a is kept because prune is off");
    expect(result.identities.a?.state).toBe("installed");
  });

  it("deletes a prefix change's old role after the new one", async () => {
    const config = await model({ "settings.yaml": `${SETTINGS}  prune: true\n`, "identities/a.yaml": awsIdentity("a") });
    const stale = { ...installedRole(integrationOf(config), identity(config, "a")), name: "old-a", arn: "arn:aws:iam::123456789012:role/workload-identity/old-a" };
    const result = plan(config, [stale]);
    expect(result.changes.map((change) => `${change.action} ${change.resource}`)).toEqual([
      "create role/wid-a",
      "create role-policy/wid-a/wid-permissions",
      "delete role-policy/old-a/wid-permissions",
      "delete role/old-a",
    ]);
    expect(result.changes[3]?.onlyAfter).toEqual({ integration: "aws-prod", identity: "a" });
  });

  it("keeps a prefix change's old role with install: false", async () => {
    const config = await model({ "settings.yaml": `${SETTINGS}  prune: true\n`, "identities/a.yaml": awsIdentity("a", { install: false }) });
    const stale = { ...installedRole(integrationOf(config), identity(config, "a")), name: "old-a", arn: "arn:aws:iam::123456789012:role/workload-identity/old-a" };
    const result = plan(config, [stale]);
    expect(result.changes).toEqual([]);
    expect(result.orphans[0]?.message).toBe("the identity's role now has another name because roleNamePrefix changed; the old role role/old-a is kept because install is false, so the new one is not installed");
  });

  it("keeps a prefix change's old role when the new name conflicts", async () => {
    const config = await model({ "settings.yaml": `${SETTINGS}  prune: true\n`, "identities/a.yaml": awsIdentity("a") });
    const owned = installedRole(integrationOf(config), identity(config, "a"));
    const stale = { ...owned, name: "old-a", arn: "arn:aws:iam::123456789012:role/workload-identity/old-a" };
    const unowned = { ...owned, tags: {} };
    const result = plan(config, [stale, unowned]);
    expect(result.changes).toEqual([]);
    expect(result.identities.a?.state).toBe("conflict");
    expect(result.orphans[0]?.message).toContain("the old role role/old-a is kept because the new one will not be installed by this apply (the identity is conflict)");
  });

  it("names another issuer's role a conflict", async () => {
    const config = await model({ "settings.yaml": `${SETTINGS}  prune: true\n`, "identities/a.yaml": awsIdentity("a") });
    const role = installedRole(integrationOf(config), identity(config, "a"), { tags: { "wid:managed-by": "wid", "wid:integration": "aws-prod", "wid:identity": "a", "wid:issuer-sha256": "0123456789abcdef" } });
    const result = plan(config, [role]);
    expect(result.changes).toEqual([]);
    expect(result.identities.a?.state).toBe("conflict");
    expect(result.conflicts[0]?.message).toContain("role wid-a is managed by wid for another issuer (tag wid:issuer-sha256=0123456789abcdef");
  });

  it("never removes another issuer's role", async () => {
    const config = await model({ "settings.yaml": `${SETTINGS}  prune: true\n`, "identities/a.yaml": awsIdentity("a") });
    const other = await model({ "identities/b.yaml": awsIdentity("b") });
    const role = installedRole(integrationOf(other), identity(other, "b"), { tags: { "wid:managed-by": "wid", "wid:integration": "aws-prod", "wid:identity": "b", "wid:issuer-sha256": "0123456789abcdef" } });
    const result = plan(config, [installedRole(integrationOf(config), identity(config, "a")), role]);
    expect(result.changes).toEqual([]);
    expect(result.orphans).toEqual([]);
  });

  it("removes an untagged-issuer role that trusts this issuer", async () => {
    const config = await model({ "settings.yaml": `${SETTINGS}  prune: true\n`, "identities/a.yaml": awsIdentity("a") });
    const other = await model({ "identities/b.yaml": awsIdentity("b") });
    const legacy = installedRole(integrationOf(other), identity(other, "b"), { tags: { "wid:managed-by": "wid", "wid:integration": "aws-prod", "wid:identity": "b" } });
    const foreignTrust = { ...legacy, name: "wid-c", tags: { ...legacy.tags, "wid:identity": "c" }, trustPolicy: decodePolicyDocument('{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/other.example.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}') };
    const result = plan(config, [installedRole(integrationOf(config), identity(config, "a")), legacy, foreignTrust]);
    expect(result.changes.map((change) => `${change.action} ${change.resource}`)).toEqual(["delete role-policy/wid-b/wid-permissions", "delete role/wid-b"]);
  });

  it("adds the issuer tag to a role tagged before it existed", async () => {
    const config = await model({ "identities/a.yaml": awsIdentity("a") });
    const role = installedRole(integrationOf(config), identity(config, "a"));
    const { "wid:issuer-sha256": _issuer, ...legacyTags } = role.tags;
    const result = plan(config, [{ ...role, tags: legacyTags }]);
    expect(result.changes.map((change) => `${change.action} ${change.resource}`)).toEqual(["update role/wid-a"]);
    expect(result.changes[0]?.diff?.attributes).toEqual([expect.stringMatching(/^tag wid:issuer-sha256: \(none\) -> [0-9a-f]{16}$/)]);
  });

  it("never plans for a role of another integration", async () => {
    const config = await model({ "identities/a.yaml": awsIdentity("a") });
    const role = installedRole(integrationOf(config), identity(config, "a"), {
      tags: { "wid:managed-by": "wid", "wid:integration": "aws-staging" },
      trustPolicy: decodePolicyDocument('{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/other.example.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}'),
    });
    const result = plan(config, [role]);
    expect(result.changes).toEqual([]);
    expect(result.identities.a?.state).toBe("conflict");
    expect(result.conflicts[0]?.message).toContain("is managed by wid integration aws-staging");
  });

  it("takes over the role of an identity moved from another integration", async () => {
    const config = await model({ "identities/a.yaml": awsIdentity("a") });
    const role = installedRole(integrationOf(config), identity(config, "a"));
    const moved = { ...role, tags: { ...role.tags, "wid:integration": "aws-staging" } };
    const result = plan(config, [moved]);
    expect(result.identities.a?.state).toBe("installed");
    expect(result.changes.map((change) => `${change.action} ${change.resource}`)).toEqual(["update role/wid-a"]);
    expect(result.changes[0]?.diff?.attributes).toEqual(["tag wid:integration: aws-staging -> aws-prod"]);
  });

  it("never deletes the role of an invalid identity", async () => {
    const config = await model({ "settings.yaml": `${SETTINGS}  prune: true\n`, "identities/a.yaml": awsIdentity("a"), "identities/b.yaml": awsIdentity("b").replace("install: true", "install: 3") });
    expect(config.invalidIdentities.has("b")).toBe(true);
    const valid = await model({ "identities/b.yaml": awsIdentity("b") });
    const roleOfB = installedRole(integrationOf(valid), identity(valid, "b"));
    const result = plan(config, [installedRole(integrationOf(config), identity(config, "a")), roleOfB]);
    expect(result.changes).toEqual([]);
    expect(result.orphans).toEqual([]);
    expect(result.identities.b?.state).toBe("invalid");
  });
});
