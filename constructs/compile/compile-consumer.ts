/** Consumers: their subscriptions checked against products, their credentials kept distinct. */
import type { Consumer } from "../consumer";
import { type Diagnostics, didYouMean, listOf } from "../diagnostics";
import { compactCanonicalJson } from "../manifest/canonical-json";
import type { Consumer as ManifestConsumer } from "../manifest/schema";
import { compareText } from "./compare-text";
import type { InPlatform } from "./references";

export function compileConsumer(consumer: Consumer, subscriptions: ManifestConsumer["subscriptions"]): ManifestConsumer {
  const declaration = consumer.declaration!;
  return {
    name: consumer.consumerName,
    displayName: declaration.displayName,
    contact: declaration.contact,
    declaredAt: consumer.path,
    subscriptions,
    credentials: [...declaration.credentials].sort((a, b) => compareText(compactCanonicalJson(a), compactCanonicalJson(b))),
  };
}

/** Checks a consumer's subscriptions against the products; returns the valid ones, sorted. */
export function checkSubscriptions(
  consumer: Consumer,
  diagnostics: Diagnostics,
  inPlatform: InPlatform,
): ManifestConsumer["subscriptions"] {
  const subscriptions: ManifestConsumer["subscriptions"] = [];
  const apiOwners = new Map<string, string>();
  for (const subscription of consumer.subscriptions) {
    const product = subscription.product;
    if (!inPlatform(product, consumer, `${subscription.field}.product`) || !product.declaration) continue;
    const offered = product.declaration.plans;
    const planName = typeof subscription.plan === "string" ? subscription.plan : subscription.plan.planName;
    if (!offered.some((plan) => plan.planName === planName) || (typeof subscription.plan !== "string" && !offered.includes(subscription.plan))) {
      diagnostics.error({
        code: "unknown-plan",
        path: consumer.path,
        field: `${subscription.field}.plan`,
        message: `product "${product.productName}" does not offer plan "${planName}"`,
        expected: `one of ${listOf(offered.map((plan) => plan.planName).sort())}`,
        received: `"${planName}"`,
        fix: didYouMean(planName, offered.map((plan) => plan.planName)) ?? `add the plan to ${product.path}'s plans, or subscribe with an offered one`,
      });
      continue;
    }
    if (subscriptions.some((existing) => existing.product === product.productName)) {
      diagnostics.error({
        code: "ambiguous-subscription",
        path: consumer.path,
        field: subscription.field,
        message: `subscribes to product "${product.productName}" twice; the gateway could not tell which plan's limits apply`,
        fix: "keep one subscription per product",
      });
      continue;
    }
    for (const api of product.declaration.apis) {
      const other = apiOwners.get(api.apiId);
      if (other !== undefined) {
        diagnostics.error({
          code: "ambiguous-subscription",
          path: consumer.path,
          field: subscription.field,
          message: `API ${api.apiId} is in both subscribed products "${other}" and "${product.productName}"; the gateway could not tell which plan's limits apply to its calls`,
          fix: "subscribe to one of the two products",
        });
      }
      apiOwners.set(api.apiId, product.productName);
    }
    subscriptions.push({ product: product.productName, plan: planName });
  }
  return subscriptions.sort((a, b) => compareText(a.product, b.product));
}

export function checkCredentials(diagnostics: Diagnostics, consumers: readonly Consumer[]): void {
  const seen = new Map<string, Consumer>();
  for (const consumer of consumers) {
    for (const [index, credential] of (consumer.declaration?.credentials ?? []).entries()) {
      const key = compactCanonicalJson(credential.type === "apiKey" ? { type: credential.type, secret: credential.secret } : credential);
      const first = seen.get(key);
      if (first && first !== consumer) {
        diagnostics.error({
          code: "duplicate-name",
          path: consumer.path,
          field: `credentials[${index}]`,
          message: `the same ${credential.type} credential is declared for ${first.path}; the gateway could not tell the two consumers apart`,
          fix: "give each consumer its own credential",
        });
      } else seen.set(key, consumer);
    }
  }
}
