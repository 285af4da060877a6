/**
 * The example repository's two clouds for daemon tests: moto behind the counting proxy
 * of test/support/aws-proxy.ts, and the local fake of Google Cloud with the example's
 * project. In-process runs get adapters aimed at them; child processes get environment
 * variables. Nothing leaves 127.0.0.1.
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll, beforeAll, beforeEach } from "vitest";

import { GetRolePolicyCommand, IAMClient, ListOpenIDConnectProvidersCommand, ListRolePoliciesCommand, ListRolesCommand } from "@aws-sdk/client-iam";
import { STSClient } from "@aws-sdk/client-sts";

import { createAwsAdapter } from "../../src/providers/aws/adapter.js";
import { createGcpAdapter } from "../../src/providers/gcp/adapter.js";
import type { AdapterRegistry } from "../../src/providers/types.js";
import type { AwsProxy } from "../support/aws-proxy.js";
import { iamTotals, isReadAction, startAwsProxy } from "../support/aws-proxy.js";
import type { FakeGcp } from "../support/fake-gcp.js";
import { fakeGcpAuthClient, fakeGcpEnv, startFakeGcp } from "../support/fake-gcp.js";
import type { MotoServer } from "../support/moto.js";
import { motoEnv, startMoto } from "../support/moto.js";

/** The Google Cloud project of the example's `gcp-prod` integration. */
export const EXAMPLE_PROJECT = { projectId: "acme-prod-analytics", projectNumber: "481516234200" };

/** IAM as wid manages it: OIDC provider ARNs, and roles with their trust and inline policies. */
export interface IamState {
  providers: string[];
  roles: Record<string, { trust: string; policies: Record<string, string> }>;
}

export class TestClouds {
  private constructor(
    readonly moto: MotoServer,
    readonly proxy: AwsProxy,
    /** The fake of Google Cloud; {@link resetGcp} replaces it. */
    public gcp: FakeGcp,
    private readonly iam: IAMClient,
    private readonly dir: string,
  ) {}

  /** Starts moto, the proxy in front of it and the fake of Google Cloud. */
  static async start(): Promise<TestClouds> {
    const moto = await startMoto();
    const proxy = await startAwsProxy({ target: moto.endpoint });
    const gcp = await startFakeGcp({ projects: [EXAMPLE_PROJECT] });
    const dir = await mkdtemp(path.join(tmpdir(), "wid-clouds-"));
    return new TestClouds(moto, proxy, gcp, new IAMClient(awsConfig(moto.endpoint)), dir);
  }

  /** Clears moto and the proxy's counts, and starts a fresh fake of Google Cloud. */
  async reset(): Promise<void> {
    await this.moto.reset();
    this.proxy.resetCounts();
    await this.gcp.stop();
    this.gcp = await startFakeGcp({ projects: [EXAMPLE_PROJECT] });
  }

  /** Adapters for an in-process run: AWS through the proxy, Google Cloud with the fake's token. */
  adapters(): AdapterRegistry {
    return {
      aws: createAwsAdapter({ iam: new IAMClient(awsConfig(this.proxy.endpoint)), sts: new STSClient(awsConfig(this.proxy.endpoint)) }),
      gcp: createGcpAdapter({
        environment: { iamEndpoint: this.gcp.endpoint, crmEndpoint: this.gcp.endpoint, operationTimeoutMs: 10_000, requestTimeoutMs: 10_000 },
        auth: fakeGcpAuthClient(),
        initialPollMs: 5,
      }),
    };
  }

  /** Environment of a wid child process that reaches both clouds, or only AWS with `google: false`. */
  async cliEnv(options: { google?: boolean } = {}): Promise<Record<string, string>> {
    const google = options.google === false ? {} : await fakeGcpEnv(this.gcp, this.dir);
    return { ...motoEnv(this.proxy.endpoint), ...google };
  }

  /** IAM write calls that reached the proxy since the last reset of its counts. */
  iamWrites(): number {
    return iamTotals(this.proxy.counts()).writes;
  }

  /** IAM calls by action that reached the proxy since the last reset of its counts, writes only. */
  iamWriteCounts(): Record<string, number> {
    const writes: Record<string, number> = {};
    for (const [key, count] of Object.entries(this.proxy.counts())) {
      const [service, action = ""] = key.split(":");
      if (service === "iam" && !isReadAction(action)) writes[action] = count;
    }
    return writes;
  }

  /** Google Cloud write methods called since the fake started or its calls were reset, without token exchanges. */
  gcpWrites(): string[] {
    return this.gcp
      .writes()
      .map((entry) => entry.method)
      .filter((method) => method !== "sts.token");
  }

  /** Reads IAM straight from moto, not through the proxy, so the counts stay wid's. */
  async iamState(): Promise<IamState> {
    const providers = ((await this.iam.send(new ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList ?? []).map((provider) => provider.Arn ?? "").sort();
    const roles: IamState["roles"] = {};
    let marker: string | undefined;
    do {
      const page = await this.iam.send(new ListRolesCommand({ Marker: marker }));
      for (const role of page.Roles ?? []) {
        const name = role.RoleName ?? "";
        const policies: Record<string, string> = {};
        for (const policyName of (await this.iam.send(new ListRolePoliciesCommand({ RoleName: name }))).PolicyNames ?? []) {
          policies[policyName] = (await this.iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: policyName }))).PolicyDocument ?? "";
        }
        roles[name] = { trust: role.AssumeRolePolicyDocument ?? "", policies };
      }
      marker = page.IsTruncated === true ? page.Marker : undefined;
    } while (marker !== undefined);
    return { providers, roles };
  }

  async stop(): Promise<void> {
    this.iam.destroy();
    await this.gcp.stop();
    await this.proxy.stop();
    await this.moto.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Starts the clouds before a file's tests when `run` is true (moto is installed), gives
 * every test a fresh state, and stops them after the last test. Returns a getter for
 * the tests.
 */
export function useTestClouds(run: boolean): () => TestClouds {
  let clouds: TestClouds | undefined;
  beforeAll(async () => {
    if (run) clouds = await TestClouds.start();
  });
  afterAll(async () => {
    await clouds?.stop();
  });
  beforeEach(async () => {
    await clouds?.reset();
  });
  return () => {
    if (clouds === undefined) throw new Error("the test clouds are not running; moto_server is missing");
    return clouds;
  };
}

/** SDK client settings aimed at `endpoint` with moto's test credentials, so nothing comes from this process's environment. */
function awsConfig(endpoint: string): { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } } {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const env = motoEnv(endpoint);
  return { endpoint, region: env.AWS_REGION ?? "us-east-1", credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? "", secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? "" } };
}
