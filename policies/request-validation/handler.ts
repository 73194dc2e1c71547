/**
 * requestValidation at the gateway: checks path, query and header parameters and the body
 * against the operation's contract before anything reaches the upstream. Answers 400
 * `request-validation` with the field errors, or 415 `unsupported-media-type` for a body whose
 * media type the operation does not declare. Validators are compiled with Ajv when the
 * manifest is loaded, one check function per operation; a request costs a map lookup and the
 * precompiled calls. Bodies are buffered only when their schema has to be checked.
 */
import type { z } from "zod";
import type { Api, GatewayConfig, Operation } from "../../constructs/manifest/schema";
import type { HandlerFactory } from "../../gateway-image/src/chain/policy-handler";
import type { apiKeyPolicy } from "../api-key/schema";
import { type CompileEnvironment, type OperationCheck, type RequestValidationConfig, compileOperation } from "./compile-validators";
import { type ContractSchemas, contractSchemas } from "./contract-schemas";
import { ajvProvider } from "./validator-ajv";

export const createRequestValidationHandler: HandlerFactory<RequestValidationConfig> = (config, context) => {
  // The manifest carries the contract documents the operations' `$ref`s point into.
  const { instance, logger, manifest } = context;
  const ajv = ajvProvider((message) => logger.debug({ policy: instance.id }, `requestValidation: ${message}`));
  const schemasByApi = new Map<string, ContractSchemas>();
  const apiKeyQueryNames = queryApiKeyNames(manifest);
  const checks = new Map<Operation, OperationCheck>();

  const compile = (apiId: string, api: Api | null, operation: Operation): OperationCheck => {
    let schemas = schemasByApi.get(apiId);
    if (schemas === undefined) {
      schemas = contractSchemas(apiId, api?.contract.document ?? null, api?.contract.openapi ?? null);
      schemasByApi.set(apiId, schemas);
    }
    const environment: CompileEnvironment = { config, ajv, schemas, extraQueryNames: api === null ? [] : extraQueryNames(api, operation, apiKeyQueryNames) };
    const compiled = compileOperation(operation, environment);
    if (compiled.problems.length > 0) {
      // A declared policy is never skipped silently: what is not enforced is said at load.
      logger.warn({ policy: instance.id, api: apiId, operation: operation.operationId, problems: compiled.problems }, "requestValidation cannot enforce part of this operation's contract");
    }
    return compiled.check;
  };

  for (const api of manifest.spec.apis) {
    for (const operation of api.operations) if (operation.policies.includes(instance.id)) checks.set(operation, compile(api.id, api, operation));
  }

  return {
    access(exchange) {
      const route = exchange.route;
      const operation = route.operation;
      if (operation === null) return undefined;
      // A CORS preflight runs this operation's access phase but is not a call of it.
      if (exchange.req.method === "OPTIONS" && operation.method !== "OPTIONS") return undefined;
      let check = checks.get(operation);
      if (check === undefined) {
        // An operation object the manifest did not list (none in practice): compiled once, here.
        const apiId = route.apiId ?? "";
        check = compile(apiId, manifest.spec.apis.find((api) => api.id === apiId) ?? null, operation);
        checks.set(operation, check);
      }
      return check(exchange);
    },
  };
};

/**
 * Query parameters an operation receives besides its contract parameters: API keys sent in
 * the query, by the contract's security schemes and by the apiKey policies in its chain.
 */
function extraQueryNames(api: Api, operation: Operation, apiKeyQueryNames: ReadonlyMap<string, string>): string[] {
  const names = new Set<string>();
  for (const scheme of Object.values(api.securitySchemes)) if (scheme.type === "apiKey" && scheme.in === "query") names.add(scheme.name);
  for (const id of operation.policies) {
    const name = apiKeyQueryNames.get(id);
    if (name !== undefined) names.add(name);
  }
  return [...names];
}

/** Query parameter names of the manifest's apiKey policy instances that read the query, by instance id. */
function queryApiKeyNames(manifest: GatewayConfig): Map<string, string> {
  const names = new Map<string, string>();
  for (const candidate of manifest.spec.policies) {
    if (candidate.policy !== "apiKey") continue;
    const apiKey = candidate.config as z.output<typeof apiKeyPolicy.config>;
    if (apiKey.in === "query") names.set(candidate.id, apiKey.name);
  }
  return names;
}
