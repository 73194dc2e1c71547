/**
 * The Lambda of a JWT authorizer: an IAM role that may only write its logs, the function from
 * the esbuild bundle of ./jwt-authorizer/handler.ts with the instance's settings in its
 * environment, and the permission for the REST API's authorizers to invoke it.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { JWT_AUTHORIZER_RUNTIME, jwtAuthorizerBundle } from "./jwt-authorizer/bundle";
import { JWT_AUTHORIZER_SETTINGS_VARIABLE, LAMBDA_ENVIRONMENT_MAX_BYTES } from "./jwt-authorizer/settings";
import type { LambdaAuthorizerSpec } from "./jwt-authorizers";

/** Seconds one verification may take: a JWKS fetch on a cold start included. */
export const JWT_AUTHORIZER_TIMEOUT_SECONDS = 10;
/** Memory of the authorizer function, in MiB (signature checks are CPU-bound; Lambda's CPU scales with memory). */
export const JWT_AUTHORIZER_MEMORY_MIB = 256;

export interface JwtAuthorizerFunction {
  readonly role: aws.iam.Role;
  readonly function: aws.lambda.Function;
}

/** The function of one Lambda authorizer in one region, named as the REST API's document expects. */
export function declareJwtAuthorizerFunction(spec: LambdaAuthorizerSpec, region: string, provider: aws.Provider): JwtAuthorizerFunction {
  const name = `${spec.functionName}-${region}`;
  const settings = JSON.stringify(spec.settings);
  // Lambda counts bytes: an issuer or scope with non-ASCII characters takes more than one each.
  const bytes = Buffer.byteLength(settings) + Buffer.byteLength(JWT_AUTHORIZER_SETTINGS_VARIABLE);
  if (bytes > LAMBDA_ENVIRONMENT_MAX_BYTES) {
    throw new Error(`the JWT authorizer of ${spec.instance} needs ${bytes} bytes of settings, over Lambda's 4 KB environment: split the API's operations over fewer scopes, or serve it through the Node gateway (gatewayFallback)`);
  }
  const role = new aws.iam.Role(
    name,
    {
      assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
      managedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
      description: `Runs the JWT authorizer of ${spec.instance}`,
    },
    { provider },
  );
  const fn = new aws.lambda.Function(
    name,
    {
      name: spec.functionName,
      description: `Turnpike JWT authorizer for ${spec.instance}`,
      runtime: JWT_AUTHORIZER_RUNTIME,
      handler: "index.handler",
      role: role.arn,
      code: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(jwtAuthorizerBundle()) }),
      timeout: JWT_AUTHORIZER_TIMEOUT_SECONDS,
      memorySize: JWT_AUTHORIZER_MEMORY_MIB,
      architectures: ["arm64"],
      environment: { variables: { [JWT_AUTHORIZER_SETTINGS_VARIABLE]: settings } },
      tracingConfig: { mode: "Active" },
    },
    { provider },
  );
  return { role, function: fn };
}

/** Lets the REST API's authorizers (and only them) invoke the function. */
export function permitAuthorizerInvocation(spec: LambdaAuthorizerSpec, region: string, fn: aws.lambda.Function, restApi: aws.apigateway.RestApi, provider: aws.Provider): aws.lambda.Permission {
  return new aws.lambda.Permission(
    `${spec.functionName}-${region}`,
    { action: "lambda:InvokeFunction", function: fn.name, principal: "apigateway.amazonaws.com", sourceArn: pulumi.interpolate`${restApi.executionArn}/authorizers/*` },
    { provider },
  );
}
