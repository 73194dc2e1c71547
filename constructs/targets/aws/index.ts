/** The AWS target: AWS API Gateway REST APIs, usage plans, WAF and logs, per region. */
export { AwsGateway } from "./aws-gateway";
export type * from "./aws-gateway-props";
export type { AwsRegionConfig, AwsTargetConfig, EndpointType } from "./config";
export { type AwsFinding, awsSupportOf, checkAwsCapabilities, servedApis } from "./capabilities";
export { openApiWithExtensions } from "./openapi-with-extensions";
export { type AwsFile, synthesizeAws } from "./synthesize";
export { type AwsDeployment, deployAws } from "./deploy";
