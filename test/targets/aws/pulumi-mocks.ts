/**
 * Pulumi under `setMocks` for the AWS target: no CLI, no credentials. Provider-computed outputs
 * (ARNs, ids, invoke URLs) are filled in the mock state; Secrets Manager reads return a key.
 */
import type * as PulumiModule from "@pulumi/pulumi";
import { computedOutputs as computed, registrationsSettled } from "../../../constructs/targets/aws/resource-inventory";

export interface Registered {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
  readonly provider?: string;
  /** Inputs and the outputs the mock computed (what a stack policy sees as props). */
  readonly state: Record<string, any>;
}

export const PARTNER_KEY = "pk_live_0123456789abcdef0123";
/** The account `aws.getCallerIdentity` answers. */
export const ACCOUNT_ID = "123456789012";

/** Mocks for `pulumi.runtime.setMocks`, recording every registered resource. */
export function awsMocks(registered: Registered[]): PulumiModule.runtime.Mocks {
  return {
    newResource: (args) => {
      const id = `${args.name}-id`;
      const region = /-(\w+-\w+-\d)$/.exec(args.name)?.[1] ?? "eu-west-1";
      const arn = `arn:aws:mock:${region}:123456789012:${args.type.replace(/[:/]/g, "-")}/${args.name}`;
      const state = { ...args.inputs, arn, executionArn: `arn:aws:execute-api:${region}:${ACCOUNT_ID}:${id}`, invokeUrl: `https://${id}.execute-api.${region}.amazonaws.com/`, ...computed(args.type, args.name, region, args.inputs) };
      registered.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider, state });
      return { id, state };
    },
    call: (args) => {
      if (args.token === "aws:secretsmanager/getSecretVersion:getSecretVersion") return { ...args.inputs, secretString: JSON.stringify({ apiKey: PARTNER_KEY }) };
      if (args.token === "aws:index/getCallerIdentity:getCallerIdentity") return { accountId: ACCOUNT_ID, arn: `arn:aws:iam::${ACCOUNT_ID}:user/test`, userId: "AIDTEST", id: ACCOUNT_ID };
      return args.inputs;
    },
  };
}

/** Resolves when no resource has registered for a while: registrations wait on other outputs. */
export function settled(registered: readonly Registered[], quietMs = 150): Promise<void> {
  return registrationsSettled(() => registered.length, quietMs);
}

/** Declares the AWS target for a compiled declaration in a fresh module registry under mocks; resolves with what registered. */
export async function deployMocked(manifest: import("../../../constructs/manifest/schema").GatewayConfig, aws: import("../../../constructs/targets/aws/config").AwsTargetConfig): Promise<{ registered: Registered[]; skipped: readonly string[] }> {
  const registered: Registered[] = [];
  let skipped: readonly string[] = [];
  jest.isolateModules(() => {
    const pulumi = require("@pulumi/pulumi") as typeof PulumiModule;
    void pulumi.runtime.setMocks(awsMocks(registered), "turnpike-test", "test", false);
    const { deployAws } = require("../../../constructs/targets/aws/deploy") as typeof import("../../../constructs/targets/aws/deploy");
    skipped = deployAws(manifest, aws).skippedCredentials;
  });
  await settled(registered);
  return { registered, skipped };
}

/** The registered resources of one type, in registration order. */
export const ofType = (registered: readonly Registered[], type: string) => registered.filter((resource) => resource.type === type);
