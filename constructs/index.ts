/**
 * Turnpike: API management as code. Declare a Platform with its APIs, plans, products,
 * consumers, policies and SLOs; `compileManifest()` turns it into the manifest every target
 * is built from.
 */
export { Platform, type PlatformProps, type PlatformGatewayProps } from "./platform";
export { Api, type ApiProps, type OperationProps, type Lifecycle, type GovernanceProps, type RuleWaiver } from "./api";
export { Plan, type PlanProps, type PricingProps } from "./plan";
export { Product, type ProductProps } from "./product";
export { Consumer, Credential, type ConsumerProps, type CredentialProps, type SubscriptionProps } from "./consumer";
export { Slo, type SloProps, type SloObjectives } from "./slo";
export { Secret, type SecretRef } from "./secret";
export { OpenApi } from "./contract/openapi";
export type { UpstreamProps } from "./upstream";
export { compileManifest, type CompileResult, type CompiledTargets } from "./compile/compile-manifest";
export { KubernetesGateway } from "./targets/kubernetes/kubernetes-gateway";
export type * from "./targets/kubernetes/kubernetes-gateway-props";
export { AwsGateway } from "./targets/aws/aws-gateway";
export type * from "./targets/aws/aws-gateway-props";
export { type Diagnostic, type DiagnosticCode, DIAGNOSTIC_CODES } from "./diagnostics";
export { type GatewayConfig, MANIFEST_API_VERSION, gatewayConfigSchema, manifestJsonSchema } from "./manifest/schema";
export * from "../policies/index";
