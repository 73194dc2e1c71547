/** Checks across the whole platform: unique names, API identity, routes, unused constructs. */
import type { Api } from "../api";
import type { Diagnostics } from "../diagnostics";
import type { Api as ManifestApi, Operation } from "../manifest/schema";
import type { Plan } from "../plan";
import type { Product } from "../product";
import type { TurnpikeConstruct } from "../turnpike-construct";
import type { PlanPolicies } from "./policy-chain";

export function checkUniqueNames(diagnostics: Diagnostics, items: readonly { name: string; construct: TurnpikeConstruct }[], kind: string): void {
  const seen = new Map<string, TurnpikeConstruct>();
  for (const { name, construct } of items) {
    const first = seen.get(name);
    if (first) {
      diagnostics.error({
        code: "duplicate-name",
        path: construct.path,
        message: `${kind} name "${name}" is already used by ${first.path}; ${kind}s are referenced by name, so names are unique in the platform`,
        fix: `rename one of the two ${kind}s`,
      });
    } else seen.set(name, construct);
  }
}

export function checkApiIdentity(diagnostics: Diagnostics, apis: readonly Api[]): void {
  const byId = new Map<string, Api>();
  const byBasePath = new Map<string, Api>();
  for (const api of apis) {
    const first = byId.get(api.apiId);
    if (first) {
      diagnostics.error({
        code: "duplicate-api-version",
        path: api.path,
        field: "version",
        message: `${first.path} already declares ${api.apiName} major version ${api.declaration!.majorVersion} (${first.declaration!.version}); one major version of an API is one construct`,
        received: api.declaration!.version,
        fix: "bump the major version for a new, incompatible version, or update the existing construct",
      });
    } else byId.set(api.apiId, api);
    const basePath = api.declaration!.basePath;
    const other = byBasePath.get(basePath);
    if (other && other !== first) {
      diagnostics.error({
        code: "duplicate-base-path",
        path: api.path,
        field: "basePath",
        message: `base path ${basePath} is also used by ${other.path}`,
        fix: `give one of them another basePath (the default is /<name>/v<major>)`,
      });
    } else byBasePath.set(basePath, api);
  }
}

/** Where the gateway serves its own control API (admin and portal); no API may route there. */
export const RESERVED_PATH_PREFIX = "/_turnpike";

/**
 * Two operations on one method and path pattern would shadow each other in the router, and
 * no operation may sit under the gateway's reserved prefix.
 */
export function checkRoutes(diagnostics: Diagnostics, apis: readonly ManifestApi[], constructs: readonly Api[]): void {
  const seen = new Map<string, { api: ManifestApi; operation: Operation }>();
  for (const api of apis) {
    const reserved = api.operations.filter((operation) => operation.route === RESERVED_PATH_PREFIX || operation.route.startsWith(`${RESERVED_PATH_PREFIX}/`));
    if (reserved.length > 0) {
      diagnostics.error({
        code: "route-conflict",
        path: constructs.find((construct) => construct.apiId === api.id)?.path ?? api.declaredAt,
        field: "basePath",
        message: `${reserved.length === api.operations.length ? "every operation" : reserved.map((operation) => operation.operationId).join(", ")} of ${api.id} would be served under ${RESERVED_PATH_PREFIX}/, where the gateway serves its admin and portal APIs`,
        fix: `give the API a basePath outside ${RESERVED_PATH_PREFIX}/`,
      });
      continue;
    }
    for (const operation of api.operations) {
      const key = `${operation.method} ${operation.route.replace(/\{[^}]*\}/g, "{}")}`;
      const first = seen.get(key);
      if (first && first.api !== api) {
        diagnostics.error({
          code: "route-conflict",
          path: constructs.find((construct) => construct.apiId === api.id)?.path ?? api.declaredAt,
          field: "basePath",
          message: `${operation.method} ${operation.route} (${operation.operationId}) collides with ${first.operation.method} ${first.operation.route} (${first.operation.operationId} of ${first.api.id})`,
          fix: "give one of the APIs another basePath",
        });
      } else if (!first) seen.set(key, { api, operation });
    }
  }
}

export function warnUnused(
  diagnostics: Diagnostics,
  { apis, plans, products, offers }: { apis: readonly Api[]; plans: readonly Plan[]; products: readonly Product[]; offers: Map<Api, PlanPolicies[]> },
): void {
  const offeredPlans = new Set(products.flatMap((product) => product.declaration?.plans ?? []));
  for (const plan of plans) {
    if (!offeredPlans.has(plan)) diagnostics.warning({ code: "unused", path: plan.path, message: `plan "${plan.planName}" is not offered by any product, so no consumer can subscribe to it`, fix: "add it to a product's plans, or remove it" });
  }
  for (const api of apis) {
    const lifecycle = api.declaration!.lifecycle;
    if (lifecycle === "published" && !offers.has(api)) {
      diagnostics.warning({ code: "unused", path: api.path, message: `${api.apiId} is published but in no product, so consumers cannot subscribe to it`, fix: "add it to a product's apis" });
    }
  }
}
