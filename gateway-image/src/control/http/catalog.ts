/**
 * What the manifest offers, as the control API shows it: products, plans and APIs (the admin
 * view has all of them, the portal view only public products), and the check that a requested
 * subscription names a product and a plan that product offers.
 */
import type { Api, GatewayConfig, Plan, Product } from "../../../../constructs/manifest/schema";
import type { FieldError } from "../control-store";
import { ControlHttpError, fieldProblem } from "./control-problem";

/** An API as listed in a catalog (the contract itself is served by the portal site). */
export function apiSummary(api: Api) {
  return {
    id: api.id,
    name: api.name,
    title: api.title,
    description: api.description,
    version: api.version,
    lifecycle: api.lifecycle,
    owner: api.owner,
    basePath: api.basePath,
    deprecatedSince: api.deprecatedSince,
    sunset: api.sunset,
    successor: api.successor,
  };
}

/** A plan with the limits the gateway enforces for it. */
export function planSummary(plan: Plan) {
  return {
    name: plan.name,
    title: plan.title,
    description: plan.description,
    pricing: plan.pricing,
    rateLimit: plan.rateLimit === null ? null : { requests: plan.rateLimit.requests, perSeconds: plan.rateLimit.perSeconds, burst: plan.rateLimit.burst ?? plan.rateLimit.requests },
    quota: plan.quota === null ? null : { requests: plan.quota.requests, period: plan.quota.period },
  };
}

function productSummary(product: Product) {
  return {
    name: product.name,
    title: product.title,
    description: product.description,
    apis: product.apis,
    plans: product.plans,
    approval: product.approval,
    visibility: product.visibility,
  };
}

/** Everything the manifest declares, for operators. */
export function adminCatalog(manifest: GatewayConfig) {
  return {
    revision: manifest.metadata.revision,
    products: manifest.spec.products.map(productSummary),
    plans: manifest.spec.plans.map(planSummary),
    apis: manifest.spec.apis.map(apiSummary),
  };
}

/** Public products with their plans and APIs inlined, for developers. */
export function portalCatalog(manifest: GatewayConfig) {
  const plans = new Map(manifest.spec.plans.map((plan) => [plan.name, plan]));
  const apis = new Map(manifest.spec.apis.map((api) => [api.id, api]));
  return {
    products: manifest.spec.products
      .filter((product) => product.visibility === "public")
      .map((product) => ({
        name: product.name,
        title: product.title,
        description: product.description,
        approval: product.approval,
        plans: product.plans.flatMap((name) => {
          const plan = plans.get(name);
          return plan === undefined ? [] : [planSummary(plan)];
        }),
        apis: product.apis.flatMap((id) => {
          const api = apis.get(id);
          return api === undefined ? [] : [apiSummary(api)];
        }),
      })),
  };
}

/** Ids of the APIs a product contains (empty for an unknown product). */
export function productApis(manifest: GatewayConfig, product: string): readonly string[] {
  return manifest.spec.products.find((candidate) => candidate.name === product)?.apis ?? [];
}

/**
 * The product and plan of a subscription request, or a 400 naming the wrong fields: a product
 * that does not exist (or, for developers, is private: its existence is not revealed), a plan
 * that does not exist, or a plan the product does not offer.
 */
export function subscriptionTarget(manifest: GatewayConfig, productName: string, planName: string, audience: "admin" | "portal"): { product: Product; plan: Plan } {
  const errors: FieldError[] = [];
  const product = manifest.spec.products.find((candidate) => candidate.name === productName && (audience === "admin" || candidate.visibility === "public"));
  const plan = manifest.spec.plans.find((candidate) => candidate.name === planName);
  if (product === undefined) errors.push({ field: "product", message: `no product "${productName}"${audience === "portal" ? " is offered on the portal" : " in the manifest"}` });
  if (plan === undefined) errors.push({ field: "plan", message: `no plan "${planName}" in the manifest` });
  else if (product !== undefined && !product.plans.includes(planName)) errors.push({ field: "plan", message: `product "${productName}" offers the plans ${product.plans.join(", ")}` });
  if (product === undefined || plan === undefined || errors.length > 0) throw new ControlHttpError(fieldProblem("the subscription names no product and plan on offer", errors));
  return { product, plan };
}
