/** One Api construct → its manifest entry: contract facts, lifecycle, chains per operation. */
import { AUTHENTICATION_POLICY_NAMES } from "../../policies/index";
import type { Api } from "../api";
import { type ContractFacts, type ContractOperation } from "../contract/extract-operations";
import type { ContractLoadResult } from "../contract/load-contract";
import { type Diagnostic, type Diagnostics, didYouMean, listOf } from "../diagnostics";
import { compactCanonicalJson, sha256Hex } from "../manifest/canonical-json";
import type { Api as ManifestApi, Operation } from "../manifest/schema";
import type { Platform } from "../platform";
import { compareText } from "./compare-text";
import { type PlanPolicies, buildChain, mergeLevel } from "./policy-chain";
import type { PolicyInstances } from "./policy-instances";
import type { InPlatform } from "./references";

/** Reports the operationIds an API's `operations` names that its contract does not have. */
export function checkOperationIds(api: Api, facts: ContractFacts, source: string | null, diagnostics: Diagnostics): void {
  const known = facts.operations.map((operation) => operation.operationId);
  for (const operationId of api.partial.operationIds) {
    if (!known.includes(operationId)) diagnostics.error(unknownOperation(api, operationId, known, source));
  }
}

function unknownOperation(api: Api, operationId: string, known: readonly string[], source: string | null): Omit<Diagnostic, "severity"> {
  return {
    code: "unknown-operation",
    path: api.path,
    field: `operations.${operationId}`,
    message: `operationId "${operationId}" is not in the contract ${source ?? "(inline)"}`,
    expected: `one of ${listOf([...known].sort())}`,
    received: `"${operationId}"`,
    fix: didYouMean(operationId, known),
  };
}

export function compileApi(
  api: Api,
  platform: Platform,
  facts: ContractFacts,
  load: ContractLoadResult,
  plans: readonly PlanPolicies[],
  instances: PolicyInstances,
  diagnostics: Diagnostics,
  inPlatform: InPlatform,
): ManifestApi {
  const declaration = api.declaration!;
  const contract = load.contract!;
  const apiId = api.apiId;
  const declaredOperations = new Map(declaration.operations.map((operation) => [operation.operationId, operation]));
  checkOperationIds(api, facts, contract.source, diagnostics);

  let successor: ManifestApi["successor"] = null;
  const lifecycle = declaration.lifecycle;
  if (declaration.successor) {
    const next = declaration.successor;
    if (next === api) {
      diagnostics.error({ code: "lifecycle", path: api.path, field: "successor", message: "an API cannot be its own successor" });
    } else if (inPlatform(next, api, "successor")) {
      const nextLifecycle = next.declaration?.lifecycle;
      if (nextLifecycle === "retired" || nextLifecycle === "draft") {
        diagnostics.error({
          code: "lifecycle",
          path: api.path,
          field: "successor",
          message: `the successor ${next.path} is ${nextLifecycle}; consumers sent there could not use it`,
          expected: "a published (or deprecated) API",
          received: nextLifecycle,
          fix: nextLifecycle === "draft" ? `publish ${next.apiName} first` : "point to the API that replaced it",
        });
      }
      successor = next.apiId;
    }
  }
  if (lifecycle === "retired" && declaration.successor === null) {
    diagnostics.warning({ code: "lifecycle", path: api.path, field: "successor", message: "a retired API answers 410 Gone; without a successor the answer cannot say where to go", fix: "set successor to the API that replaced it" });
  }
  const lifecycleEntry =
    lifecycle === "deprecated" || lifecycle === "retired"
      ? {
          declaredAt: api.path,
          config: {
            state: lifecycle,
            deprecatedSince: declaration.deprecatedSince,
            sunset: declaration.sunset,
            successor: declaration.successor?.declaration
              ? { api: declaration.successor.apiId, version: declaration.successor.declaration.version, basePath: declaration.successor.declaration.basePath }
              : null,
          },
        }
      : null;

  const platformPolicies = platform.declaredPolicies;
  const apiPolicies = mergeLevel(platformPolicies, declaration.policies, declaration.excludePolicies, { diagnostics, path: api.path, field: "excludePolicies" });
  const basePath = declaration.basePath === "/" ? "" : declaration.basePath;
  const byPath = new Map<string, ContractOperation[]>();
  for (const operation of facts.operations) byPath.set(operation.path, [...(byPath.get(operation.path) ?? []), operation]);

  /** Scheme → operations requiring it that no policy implements, and whether any of them is left with no authentication at all. */
  const unimplemented = new Map<string, { operationIds: string[]; open: boolean }>();
  const operations: Operation[] = [...facts.operations]
    .sort((a, b) => compareText(a.path, b.path) || compareText(a.method, b.method))
    .map((operation) => {
      const declared = declaredOperations.get(operation.operationId);
      const siblings = byPath.get(operation.path)!;
      const chain = buildChain({
        apiId,
        apiPolicies,
        operationPolicies: declared?.policies ?? [],
        operationExcludes: declared?.excludePolicies ?? [],
        operationDeclaredAt: declared?.declaredAt ?? `${api.path}/operations.${operation.operationId}`,
        plans,
        lifecycle: lifecycleEntry,
        facts: {
          apiId,
          operationId: operation.operationId,
          method: operation.method,
          path: operation.path,
          pathParameters: operation.parameters.filter((parameter) => parameter.in === "path").map((parameter) => parameter.name),
          pathMethods: siblings.map((sibling) => sibling.method).sort(),
          pathRequestHeaders: [...new Set(siblings.flatMap((sibling) => sibling.parameters.filter((p) => p.in === "header").map((p) => p.name.toLowerCase())))].sort(),
          pathResponseHeaders: [...new Set(siblings.flatMap((sibling) => sibling.responses.flatMap((response) => response.headers)))].sort(),
          security: operation.security,
          securitySchemes: facts.securitySchemes,
        },
        gateway: { requestIdHeader: platform.settings?.requestIdHeader ?? "x-request-id" },
        diagnostics,
      });
      const open = !chain.entries.some((entry) => AUTHENTICATION_POLICY_NAMES.has(entry.policy));
      for (const scheme of chain.unimplementedSchemes) {
        const known = unimplemented.get(scheme) ?? { operationIds: [], open: false };
        unimplemented.set(scheme, { operationIds: [...known.operationIds, operation.operationId], open: known.open || open });
      }
      return {
        operationId: operation.operationId,
        method: operation.method,
        path: operation.path,
        route: `${basePath}${operation.path}`,
        summary: operation.summary,
        tags: operation.tags,
        deprecated: operation.deprecated,
        parameters: operation.parameters,
        requestBody: operation.requestBody,
        responses: operation.responses,
        security: operation.security,
        policies: chain.entries.map((entry) => instances.add(entry)),
      };
    });
  for (const [scheme, { operationIds, open }] of unimplemented) {
    const definition = facts.securitySchemes[scheme];
    const policy = definition?.type === "apiKey" ? "apiKey()" : definition?.type === "mutualTLS" ? "mtls({ trustedCa })" : "jwt({ issuer, jwksUrl, audiences })";
    diagnostics.error({
      code: "missing-auth-policy",
      path: api.path,
      field: "policies",
      message: `the contract requires security scheme "${scheme}"${definition ? ` (${definition.type})` : ""} on ${listOf(operationIds.slice(0, 5))}${operationIds.length > 5 ? ` and ${operationIds.length - 5} more` : ""}, but no policy enforces it: ${open ? "the gateway would let anyone in" : "callers using it could not be authenticated"}`,
      fix: `add ${policy} to the API's (or platform's) policies`,
    });
  }
  if (plans.length > 0 && operations.every((operation) => !operation.policies.some((id) => AUTHENTICATION_POLICY_NAMES.has(instances.get(id).policy)))) {
    diagnostics.warning({
      code: "unused",
      path: api.path,
      message: "the API is offered with plans, but none of its operations authenticates callers, so no plan's limits ever apply",
      fix: "add an authentication policy (apiKey, jwt or mtls)",
    });
  }

  const documentJson = compactCanonicalJson(contract.document);
  return {
    id: apiId,
    name: declaration.name,
    version: declaration.version,
    majorVersion: declaration.majorVersion,
    title: declaration.title ?? (facts.title || declaration.name),
    description: declaration.description ?? facts.description,
    owner: declaration.owner,
    tags: declaration.tags,
    lifecycle,
    deprecatedSince: declaration.deprecatedSince,
    sunset: declaration.sunset,
    successor,
    basePath: declaration.basePath,
    declaredAt: api.path,
    contract: { source: contract.source, openapi: contract.openapi, sha256: sha256Hex(documentJson), document: contract.document },
    securitySchemes: facts.securitySchemes,
    upstream: declaration.upstream,
    operations,
    governance: { waive: [...declaration.governance.waive].sort((a, b) => compareText(a.rule, b.rule)) },
  };
}
