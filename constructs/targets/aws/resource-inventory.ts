/**
 * The AWS resources the target declares, listed without a cloud: `deployAws` runs once under
 * Pulumi's mock runtime (`pulumi.runtime.setMocks`: no engine, no provider, no credentials)
 * and every resource it registers is recorded by type and name with a hash of its inputs.
 * `turnpike synth` writes the list to `dist/aws/resources.json`, and `turnpike diff` shows the
 * resources a change adds, changes or removes, as `pulumi preview` would, before any deploy.
 *
 * Outputs the provider computes (a certificate's validation records, a domain's target name)
 * get placeholder values here, as in a preview; they are never part of the hashed inputs.
 */
import { createHash } from "node:crypto";
import type * as PulumiModule from "@pulumi/pulumi";
import type { GatewayConfig } from "../../manifest/schema";
import { canonicalJson } from "../../manifest/canonical-json";
import type { AwsTargetConfig } from "./config";
import type { AwsDeployInputs } from "./deploy";

export interface AwsResource {
  /** Pulumi type token, e.g. `aws:apigateway/usagePlan:UsagePlan`. */
  readonly type: string;
  /** Logical name, e.g. `items-v1-pro-eu-west-1`. */
  readonly name: string;
  /** sha256 of the canonical JSON of its inputs: equal when the resource would not change. */
  readonly inputs: string;
}

/** The account the dry run answers `getCallerIdentity` with. */
export const INVENTORY_ACCOUNT_ID = "123456789012";

/** Placeholder values for outputs AWS computes, for the types whose outputs the target reads. */
export function computedOutputs(type: string, name: string, region: string, inputs: Record<string, any>): Record<string, unknown> {
  switch (type) {
    case "aws:apigateway/domainName:DomainName":
      return { regionalDomainName: `d-${name}.execute-api.${region}.amazonaws.com`, regionalZoneId: `ZONE-APIGW-${region}` };
    case "aws:acm/certificate:Certificate":
      return {
        domainValidationOptions: [inputs.domainName, ...(inputs.subjectAlternativeNames ?? [])].map((domainName: string) => ({
          domainName,
          resourceRecordName: `_acme-${domainName}.`,
          resourceRecordType: "CNAME",
          resourceRecordValue: `_validated-${domainName}.acm-validations.aws.`,
        })),
      };
    case "aws:route53/record:Record":
      return { fqdn: inputs.name };
    case "aws:s3/bucket:Bucket":
      return { bucket: `${name}-bucket`, bucketRegionalDomainName: `${name}-bucket.s3.${region}.amazonaws.com` };
    case "aws:cloudfront/distribution:Distribution":
      return { domainName: "d111111abcdef8.cloudfront.net", hostedZoneId: "Z2FDTNDATAQYW2" };
    default:
      return {};
  }
}

/** The state a mocked resource reports: its inputs, an ARN and the computed outputs above. */
export function mockedState(type: string, name: string, inputs: Record<string, any>): { id: string; state: Record<string, unknown> } {
  const id = `${name}-id`;
  const region = /-(\w+-\w+-\d)$/.exec(name)?.[1] ?? "eu-west-1";
  const arn = `arn:aws:mock:${region}:${INVENTORY_ACCOUNT_ID}:${type.replace(/[:/]/g, "-")}/${name}`;
  return {
    id,
    state: { ...inputs, arn, executionArn: `arn:aws:execute-api:${region}:${INVENTORY_ACCOUNT_ID}:${id}`, invokeUrl: `https://${id}.execute-api.${region}.amazonaws.com/`, ...computedOutputs(type, name, region, inputs) },
  };
}

/**
 * Answers for the data sources the target reads. A secret is never read in a dry run: API key
 * values are an empty JSON object's (so no secret reaches the inventory's hashes).
 */
export function mockedCall(token: string, inputs: Record<string, any>): Record<string, unknown> {
  if (token === "aws:secretsmanager/getSecretVersion:getSecretVersion") return { ...inputs, secretString: "{}" };
  if (token === "aws:index/getCallerIdentity:getCallerIdentity") return { accountId: INVENTORY_ACCOUNT_ID, arn: `arn:aws:iam::${INVENTORY_ACCOUNT_ID}:user/turnpike`, userId: "TURNPIKE", id: INVENTORY_ACCOUNT_ID };
  return inputs;
}

/**
 * Resolves once no resource has registered for `quietMs`: under mocks, registrations wait on
 * other resources' outputs, so there is no single promise to await. Gives up after 20 s.
 */
export async function registrationsSettled(count: () => number, quietMs: number): Promise<void> {
  let seen = -1;
  for (const deadline = Date.now() + 20_000; seen !== count() && Date.now() < deadline; ) {
    seen = count();
    await new Promise((resolve) => setTimeout(resolve, quietMs));
  }
}

/** Every resource `deployAws` declares for the manifest, sorted by type and name. */
export async function awsResourceInventory(manifest: GatewayConfig, config: AwsTargetConfig, inputs: AwsDeployInputs = {}): Promise<AwsResource[]> {
  const pulumi = require("@pulumi/pulumi") as typeof PulumiModule;
  const resources: AwsResource[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        resources.push({ type: args.type, name: args.name, inputs: createHash("sha256").update(canonicalJson(args.inputs)).digest("hex") });
        return mockedState(args.type, args.name, args.inputs);
      },
      call: (args) => mockedCall(args.token, args.inputs),
    },
    "turnpike",
    "inventory",
    true,
  );
  const { deployAws } = require("./deploy") as typeof import("./deploy");
  deployAws(manifest, config, inputs);
  await registrationsSettled(() => resources.length, 50);
  return resources.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
