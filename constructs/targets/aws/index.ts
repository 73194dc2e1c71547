/** The AWS target: AWS API Gateway REST APIs, usage plans, WAF and logs, per region. */
export { AwsGateway } from "./aws-gateway";
export type * from "./aws-gateway-props";
export type { AwsCustomDomainConfig, AwsFailoverConfig, AwsPortalConfig, AwsRegionConfig, AwsTargetConfig, EndpointType, PriceClass } from "./config";
export { type AwsFinding, awsSupportOf, checkAwsCapabilities, servedApis } from "./capabilities";
export { AWS_ACCOUNT_PLACEHOLDER, openApiWithExtensions } from "./openapi-with-extensions";
export { type JwtAuthorizerSpec, jwtAuthorizers } from "./jwt-authorizers";
export { type ApiWafRules, apiWafRules } from "./waf-rules";
export { type AwsFile, synthesizeAws } from "./synthesize";
export { type AwsDeployment, deployAws } from "./deploy";
