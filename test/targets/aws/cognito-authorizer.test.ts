/**
 * A JWT policy whose issuer is a Cognito user pool becomes a COGNITO_USER_POOLS authorizer
 * (no Lambda): the pool's ARN in the caller's account, the operation's scopes on the method.
 */
import { jwt } from "../../../constructs/index";
import { awsFixture, compileAws } from "./aws-fixture";
import { ACCOUNT_ID, type Registered, deployMocked, ofType } from "./pulumi-mocks";

const POOL = "eu-west-1_AbCdEf123";
const ISSUER = `https://cognito-idp.eu-west-1.amazonaws.com/${POOL}`;

describe("deployAws: a Cognito user pool issuer", () => {
  let registered: Registered[];
  beforeAll(async () => {
    const { manifest, aws } = await compileAws(awsFixture({ oauthOnCreateItem: true, createItemPolicies: [jwt({ issuer: ISSUER, jwksUrl: `${ISSUER}/.well-known/jwks.json`, audiences: ["items-client"] })] }));
    ({ registered } = await deployMocked(manifest, aws));
  }, 30_000);

  it("declares a Cognito authorizer on the JWT operation with its scopes, and no Lambda", () => {
    expect(ofType(registered, "aws:lambda/function:Function")).toEqual([]);
    for (const region of ["eu-west-1", "us-east-1"]) {
      const body = JSON.parse(ofType(registered, "aws:apigateway/restApi:RestApi").find((api) => api.name === `items-v1-${region}`)!.inputs.body);
      const schemes = Object.entries(body.components.securitySchemes as Record<string, any>).filter(([, scheme]) => scheme["x-amazon-apigateway-authtype"] === "cognito_user_pools");
      expect(schemes).toHaveLength(1);
      const [name, scheme] = schemes[0]!;
      expect(scheme["x-amazon-apigateway-authorizer"]).toEqual({ type: "cognito_user_pools", providerARNs: [`arn:aws:cognito-idp:eu-west-1:${ACCOUNT_ID}:userpool/${POOL}`] });
      const security = body.paths["/items"].post.security as Record<string, string[]>[];
      expect(security.some((requirement) => JSON.stringify(requirement[name]) === JSON.stringify(["items:write"]))).toBe(true);
      // Only the operation that declares the policy is behind the authorizer.
      expect(JSON.stringify(body.paths["/items"].get.security ?? [])).not.toContain(name);
    }
  });
});
