/**
 * The first call `turnpike dev` offers: a request a declared consumer may make with its dev
 * key, chosen so it succeeds as pasted (a GET with no required parameters and no body, on a
 * live API the consumer subscribes to, authenticated by the API key alone).
 */
import type { GatewayConfig } from "../../constructs/index";
import type { DevKey } from "./dev-keys";

export interface FirstCall {
  readonly consumer: string;
  readonly key: string;
  readonly operationId: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  /** The request as a shell command. */
  readonly curl: string;
}

export function firstCall(manifest: GatewayConfig, keys: readonly DevKey[], gatewayUrl: string): FirstCall | null {
  const policies = new Map(manifest.spec.policies.map((instance) => [instance.id, instance]));
  const products = new Map(manifest.spec.products.map((product) => [product.name, product]));
  // The consumer called "demo" first: declarations name their walkthrough consumer so.
  const ordered = [...keys].sort((a, b) => Number(b.consumer === "demo") - Number(a.consumer === "demo"));
  for (const key of ordered) {
    const consumer = manifest.spec.consumers.find((candidate) => candidate.name === key.consumer);
    if (!consumer) continue;
    const apiIds = new Set(consumer.subscriptions.flatMap((subscription) => products.get(subscription.product)?.apis ?? []));
    const apis = manifest.spec.apis
      .filter((api) => apiIds.has(api.id) && api.lifecycle !== "retired")
      .sort((a, b) => Number(b.lifecycle === "published") - Number(a.lifecycle === "published"));
    for (const api of apis) {
      for (const operation of api.operations) {
        if (operation.method !== "GET" || operation.requestBody !== null || operation.parameters.some((parameter) => parameter.required || parameter.in === "path")) continue;
        const apiKeyPolicy = operation.policies.map((id) => policies.get(id)).find((instance) => instance?.policy === "apiKey");
        if (!apiKeyPolicy) continue;
        const config = apiKeyPolicy.config as { in: "header" | "query"; name: string; securityScheme: string | null };
        const security = operation.security;
        const keyAlone = security === null || security.some((alternative) => alternative.length === 1 && alternative[0]!.scheme === config.securityScheme && alternative[0]!.scopes.length === 0);
        if (!keyAlone) continue;
        const url = new URL(operation.route, gatewayUrl);
        const headers: Record<string, string> = {};
        if (config.in === "query") url.searchParams.set(config.name, key.key);
        else headers[config.name] = key.key;
        const curl = ["curl -i", ...Object.entries(headers).map(([name, value]) => `-H '${name}: ${value}'`), `'${url.href}'`].join(" ");
        return { consumer: key.consumer, key: key.key, operationId: operation.operationId, method: "GET", url: url.href, headers, curl };
      }
    }
  }
  return null;
}
