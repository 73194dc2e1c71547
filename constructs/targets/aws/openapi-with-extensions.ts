/**
 * The body of one REST API: an OpenAPI 3.0 document built from the manifest's operations, with
 * the `x-amazon-apigateway-*` extensions API Gateway reads on import. Rebuilt from the manifest
 * (not copied from the contract) so that only what AWS understands is in it: merged, resolved
 * parameters per operation, one `api_key` scheme, HTTP proxy integrations per operation.
 */
import type { Api, GatewayConfig, Operation, PolicyInstance } from "../../manifest/schema";
import { AWS_API_KEY_HEADER, awsSupportOf } from "./capabilities";
import type { TransformConfig } from "./capabilities";
import type { AwsRegionConfig, AwsTargetConfig } from "./config";
import { authorizerSecurityScheme, jwtAuthorizers } from "./jwt-authorizers";
import { downgradeSchema } from "./schema-downgrade";

type Json = Record<string, unknown>;

/** API Gateway's longest integration timeout, in milliseconds. */
export const AWS_MAX_INTEGRATION_TIMEOUT_MS = 29_000;

/** Names of the request validators declared on every API that validates. */
const VALIDATORS = {
  "params-and-body": { validateRequestParameters: true, validateRequestBody: true },
  "params-only": { validateRequestParameters: true, validateRequestBody: false },
  "body-only": { validateRequestParameters: false, validateRequestBody: true },
} as const;

/**
 * Stands for the AWS account in the ARNs of `dist/aws/` files (authorizers, Cognito user pools);
 * `deployAws()` builds the document with the deploying account's id instead.
 */
export const AWS_ACCOUNT_PLACEHOLDER = "000000000000";

/** Extension naming why a method has no authorization on AWS: `node-gateway` or `public`. API Gateway ignores it. */
export const AUTHORIZATION_EXTENSION = "x-turnpike-authorization";

/** Whether the API is served by the Node gateway behind this REST API. */
export function fallsBack(config: AwsTargetConfig, api: Api): boolean {
  return config.gatewayFallback[api.id] === "node";
}

/** The instances of one operation's chain that apply to every request (plan-conditional ones are usage plans or errors). */
function chainOf(manifest: GatewayConfig, operation: Operation): PolicyInstance[] {
  const byId = new Map(manifest.spec.policies.map((instance) => [instance.id, instance]));
  return operation.policies.map((id) => byId.get(id)!).filter((instance) => instance !== undefined && instance.when === null);
}

/**
 * Builds the document for `api` in `region`, naming ARNs in `accountId`. Deterministic: same
 * manifest, config and account, same JSON.
 */
export function openApiWithExtensions(manifest: GatewayConfig, api: Api, config: AwsTargetConfig, region: AwsRegionConfig, accountId: string = AWS_ACCOUNT_PLACEHOLDER): Json {
  const fallback = fallsBack(config, api);
  const authorizers = jwtAuthorizers(manifest, api, config, region, accountId);
  const vpcLink = config.vpcLinkApis.includes(api.id) && !fallback ? region.vpcLinkId : null;
  const document = api.contract.document as Json;
  const components = (document.components ?? {}) as Json;
  const info = (document.info ?? {}) as Json;
  const paths: Record<string, Json> = {};
  let usesApiKey = false;
  let validates = false;
  const corsByPath = new Map<string, { config: CorsConfig; methods: Set<string> }>();

  for (const operation of api.operations) {
    const chain = fallback ? [] : chainOf(manifest, operation);
    const find = (policy: PolicyInstance["policy"]) => chain.find((instance) => instance.policy === policy && awsSupportOf(instance, config).support !== "none");
    const parameters = operation.parameters
      .filter((parameter) => parameter.in !== "cookie") // API Gateway has no cookie parameters
      .map((parameter) => ({ name: parameter.name, in: parameter.in, required: parameter.required, schema: parameter.schema && !fallback ? downgradeSchema(parameter.schema) : { type: "string" } }));
    const integrationParameters: Record<string, string> = {};
    for (const parameter of operation.parameters) {
      if (parameter.in === "path") integrationParameters[`integration.request.path.${parameter.name}`] = `method.request.path.${parameter.name}`;
    }
    const transformInstance = find("transform");
    let upstreamPath = operation.path;
    if (transformInstance) {
      const edits = (transformInstance.config as TransformConfig).request;
      for (const [name, value] of Object.entries(edits.headers.set)) integrationParameters[`integration.request.header.${name}`] = `'${value}'`;
      for (const [name, value] of Object.entries(edits.query.set)) integrationParameters[`integration.request.querystring.${name}`] = `'${value}'`;
      if (edits.path !== null) upstreamPath = edits.path;
    }
    const base = fallback ? region.nodeGatewayUrl! : api.upstream.targets[0]!.url;
    const integration: Json = {
      type: "http_proxy",
      httpMethod: operation.method,
      uri: `${base.replace(/\/$/, "")}${fallback ? operation.route : upstreamPath}`,
      passthroughBehavior: "when_no_match",
      // Through a VPC link the URI's host is still sent (Host header), the connection goes to the link's NLB.
      ...(vpcLink ? { connectionType: "VPC_LINK", connectionId: vpcLink } : { connectionType: "INTERNET" }),
      timeoutInMillis: Math.min(api.upstream.timeoutMs, AWS_MAX_INTEGRATION_TIMEOUT_MS),
      requestParameters: integrationParameters,
    };
    const cacheInstance = find("cache");
    if (cacheInstance) {
      const cacheConfig = cacheInstance.config as { varyHeaders: string[]; perConsumer: boolean };
      const headers = [...cacheConfig.varyHeaders, ...(cacheConfig.perConsumer && find("apiKey") ? [AWS_API_KEY_HEADER] : [])];
      for (const header of headers) {
        if (!parameters.some((parameter) => parameter.in === "header" && parameter.name.toLowerCase() === header)) parameters.push({ name: header, in: "header", required: false, schema: { type: "string" } });
      }
      integration.cacheNamespace = `${api.id}-${operation.operationId}`;
      integration.cacheKeyParameters = [
        ...operation.parameters.filter((parameter) => parameter.in === "path" || parameter.in === "query").map((parameter) => `method.request.${parameter.in === "path" ? "path" : "querystring"}.${parameter.name}`),
        ...headers.map((header) => `method.request.header.${header}`),
      ];
    }
    const method: Json = {
      operationId: operation.operationId,
      ...(operation.summary ? { summary: operation.summary } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      // A fallback API's bodies are the Node gateway's business: no models on AWS.
      ...(operation.requestBody && !fallback ? { requestBody: { required: operation.requestBody.required, content: contentOf(operation.requestBody.content) } } : {}),
      responses: Object.fromEntries(
        operation.responses.map((response) => [response.status, { description: `${response.status} response`, ...(Object.keys(response.content).length > 0 && !fallback ? { content: contentOf(response.content) } : {}) }]),
      ),
      "x-amazon-apigateway-integration": integration,
    };
    // One security requirement: every scheme in it must pass (the API key and the JWT).
    const requirement: Record<string, readonly string[]> = {};
    if (find("apiKey")) {
      usesApiKey = true;
      requirement.api_key = [];
    }
    for (const authorizer of authorizers) {
      const scopes = authorizer.operationScopes.get(operation.operationId);
      if (scopes === undefined) continue;
      requirement[authorizer.schemeName] = scopes;
      if (authorizer.kind === "lambda") {
        for (const [header, key] of Object.entries(authorizer.forwardHeaders)) integrationParameters[`integration.request.header.${header}`] = `context.authorizer.${key}`;
      }
    }
    if (Object.keys(requirement).length > 0) method.security = [requirement];
    // Why a method has no authorizer, for the deploy-time policy pack (policies/infrastructure/):
    // the Node gateway authenticates behind it, or the contract makes the operation public.
    else if (fallback) method[AUTHORIZATION_EXTENSION] = "node-gateway";
    else if (operation.security?.some((alternative) => alternative.length === 0)) method[AUTHORIZATION_EXTENSION] = "public";
    const validation = find("requestValidation");
    if (validation) {
      const options = validation.config as { path: boolean; query: boolean; headers: boolean; body: boolean };
      const params = options.path || options.query || options.headers;
      const body = options.body && operation.requestBody !== null;
      if (params || body) {
        validates = true;
        method["x-amazon-apigateway-request-validator"] = params && body ? "params-and-body" : params ? "params-only" : "body-only";
      }
    }
    const cors = find("cors");
    if (cors) {
      const entry = corsByPath.get(operation.path) ?? { config: cors.config as CorsConfig, methods: new Set<string>() };
      entry.methods.add(operation.method);
      corsByPath.set(operation.path, entry);
    }
    (paths[operation.path] ??= {})[operation.method.toLowerCase()] = method;
  }
  if (fallback) {
    // The Node gateway answers preflights itself; without an OPTIONS method API Gateway would answer 403.
    for (const [path, item] of Object.entries(paths)) {
      if (item.options !== undefined) continue;
      const route = api.operations.find((operation) => operation.path === path)!;
      const pathParameters = route.parameters.filter((parameter) => parameter.in === "path").map((parameter) => parameter.name);
      item.options = {
        ...(pathParameters.length > 0 ? { parameters: pathParameters.map((name) => ({ name, in: "path", required: true, schema: { type: "string" } })) } : {}),
        responses: { "204": { description: "CORS preflight, answered by the Node gateway" } },
        "x-amazon-apigateway-integration": {
          type: "http_proxy",
          httpMethod: "OPTIONS",
          uri: `${region.nodeGatewayUrl!.replace(/\/$/, "")}${route.route}`,
          passthroughBehavior: "when_no_match",
          connectionType: "INTERNET",
          timeoutInMillis: AWS_MAX_INTEGRATION_TIMEOUT_MS,
          requestParameters: Object.fromEntries(pathParameters.map((name) => [`integration.request.path.${name}`, `method.request.path.${name}`])),
        },
      };
    }
  }
  for (const [path, { config: cors, methods }] of corsByPath) {
    const item = paths[path]!;
    if (item.options === undefined) item.options = preflight(cors, methods, api.operations.find((operation) => operation.path === path)!.parameters.filter((parameter) => parameter.in === "path").map((parameter) => parameter.name));
  }

  const schemas = fallback ? {} : Object.fromEntries(Object.entries((components.schemas ?? {}) as Json).map(([name, schema]) => [name, downgradeSchema(schema)]));
  return {
    openapi: "3.0.1",
    info: { title: String(info.title ?? api.title), version: api.version, description: api.description },
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    components: {
      ...(Object.keys(schemas).length > 0 ? { schemas } : {}),
      ...(usesApiKey || authorizers.length > 0
        ? {
            securitySchemes: {
              ...(usesApiKey ? { api_key: { type: "apiKey", name: AWS_API_KEY_HEADER, in: "header" } } : {}),
              ...Object.fromEntries(authorizers.map((authorizer) => [authorizer.schemeName, authorizerSecurityScheme(authorizer, region)])),
            },
          }
        : {}),
    },
    "x-amazon-apigateway-api-key-source": "HEADER",
    ...(validates ? { "x-amazon-apigateway-request-validators": VALIDATORS } : {}),
  };
}

interface CorsConfig {
  readonly origins: readonly string[];
  readonly methods?: readonly string[];
  readonly allowedHeaders?: readonly string[];
  readonly exposedHeaders?: readonly string[];
  readonly credentials: boolean;
  readonly maxAgeSeconds: number;
}

/** Media types with their schemas; `$ref`s keep pointing into `components.schemas`. */
function contentOf(content: Record<string, { schema: Record<string, unknown> | null }>): Json {
  return Object.fromEntries(Object.entries(content).map(([type, { schema }]) => [type, schema ? { schema: downgradeSchema(schema) } : {}]));
}

/**
 * A mock OPTIONS integration answering CORS preflights. One allowed origin is a static header;
 * several are echoed by the response template when the request's Origin is one of them.
 */
function preflight(cors: CorsConfig, methods: ReadonlySet<string>, pathParameters: readonly string[]): Json {
  const header = (name: string) => `method.response.header.${name}`;
  const allowMethods = [...new Set([...(cors.methods ?? [...methods]), "OPTIONS"])].sort().join(",");
  const allowHeaders = [...(cors.allowedHeaders ?? [])].sort().join(",");
  const single = cors.origins.length === 1;
  const responseParameters: Record<string, string> = {
    [header("Access-Control-Allow-Methods")]: `'${allowMethods}'`,
    [header("Access-Control-Allow-Headers")]: `'${allowHeaders}'`,
    [header("Access-Control-Allow-Origin")]: `'${cors.origins[0]}'`,
    [header("Access-Control-Max-Age")]: `'${cors.maxAgeSeconds}'`,
    [header("Vary")]: "'Origin'",
    ...(cors.credentials ? { [header("Access-Control-Allow-Credentials")]: "'true'" } : {}),
  };
  const echo = single
    ? ""
    : [
        '#set($origin = $input.params().header.get("Origin"))',
        `#if(${cors.origins.map((origin) => `$origin == "${origin}"`).join(" || ")})`,
        "#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)",
        "#end",
      ].join("\n");
  const headers = Object.fromEntries(Object.keys(responseParameters).map((name) => [name.slice(header("").length), { schema: { type: "string" } }]));
  return {
    ...(pathParameters.length > 0 ? { parameters: pathParameters.map((name) => ({ name, in: "path", required: true, schema: { type: "string" } })) } : {}),
    responses: { "200": { description: "CORS preflight", headers } },
    "x-amazon-apigateway-integration": {
      type: "mock",
      requestTemplates: { "application/json": '{"statusCode": 200}' },
      passthroughBehavior: "when_no_match",
      responses: { default: { statusCode: "200", responseParameters, responseTemplates: { "application/json": echo } } },
    },
  };
}
