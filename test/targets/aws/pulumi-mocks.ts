/**
 * Pulumi under `setMocks` for the AWS target: no CLI, no credentials. Provider-computed outputs
 * (ARNs, ids, invoke URLs) are filled in the mock state; Secrets Manager reads return a key.
 */
import type * as PulumiModule from "@pulumi/pulumi";

export interface Registered {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
  readonly provider?: string;
}

export const PARTNER_KEY = "pk_live_0123456789abcdef0123";

/** Mocks for `pulumi.runtime.setMocks`, recording every registered resource. */
export function awsMocks(registered: Registered[]): PulumiModule.runtime.Mocks {
  return {
    newResource: (args) => {
      registered.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider });
      const id = `${args.name}-id`;
      const region = /-(\w+-\w+-\d)$/.exec(args.name)?.[1] ?? "eu-west-1";
      const arn = `arn:aws:mock:${region}:123456789012:${args.type.replace(/[:/]/g, "-")}/${args.name}`;
      return { id, state: { ...args.inputs, arn, executionArn: `arn:aws:execute-api:${region}:123456789012:${id}`, invokeUrl: `https://${id}.execute-api.${region}.amazonaws.com/` } };
    },
    call: (args) => (args.token === "aws:secretsmanager/getSecretVersion:getSecretVersion" ? { ...args.inputs, secretString: JSON.stringify({ apiKey: PARTNER_KEY }) } : args.inputs),
  };
}

/** Resolves when no resource has registered for a while: registrations wait on other outputs. */
export async function settled(registered: readonly Registered[], quietMs = 150): Promise<void> {
  let count = -1;
  while (count !== registered.length) {
    count = registered.length;
    await new Promise((resolve) => setTimeout(resolve, quietMs));
  }
}
