/**
 * After the authentication policies of a chain have run, decides whether the caller may go
 * on. Each policy only records what a credential proved (a consumer, satisfied security
 * schemes, granted scopes); the gate applies the contract's security alternatives (OR of
 * ANDs) and their scopes, so `apiKey` OR `bearer` contracts and scope requirements need no
 * special case in any policy.
 *
 * A caller identified as a consumer must also hold a subscription covering the API: in API
 * management the subscription (consumer × product × plan) is the grant, so a valid key of a
 * consumer subscribed elsewhere gets 403, like a suspended subscription of the control plane.
 * Operations open to anonymous callers (an empty security alternative) need none.
 */
import type { Operation } from "../../../constructs/manifest/schema";
import type { Exchange } from "../http/exchange";
import { problem } from "../http/problem";
import type { Step } from "../config/compiled-route";

export function authenticationGate(apiId: string, operation: Operation, authenticationPolicies: readonly string[]): Step {
  const alternatives = operation.security;
  const unsubscribed = problem("forbidden", `the consumer has no subscription to a product with this API (${apiId})`);
  const subscribed = (exchange: Exchange) => (exchange.consumer !== null && !exchange.consumer.subscriptions.has(apiId) ? unsubscribed : undefined);
  // The contract says nothing: any one declared authentication policy must succeed.
  if (alternatives === null) {
    return (exchange) => (exchange.authenticatedBy === null ? problem("unauthorized", `this operation requires authentication (${authenticationPolicies.join(" or ")})`) : subscribed(exchange));
  }
  if (alternatives.some((alternative) => alternative.length === 0)) return () => undefined;
  const schemes = [...new Set(alternatives.flatMap((alternative) => alternative.map((requirement) => requirement.scheme)))].join(" or ");
  return (exchange: Exchange) => {
    for (const alternative of alternatives) {
      if (alternative.every((requirement) => exchange.satisfiedSchemes.has(requirement.scheme) && requirement.scopes.every((scope) => exchange.grantedScopes?.has(scope) === true))) {
        return subscribed(exchange);
      }
    }
    if (exchange.authenticatedBy === null) return problem("unauthorized", `this operation requires authentication (${schemes})`);
    const missing = alternatives.flatMap((alternative) => alternative.flatMap((requirement) => requirement.scopes)).filter((scope) => exchange.grantedScopes?.has(scope) !== true);
    return problem("forbidden", missing.length > 0 ? `the credential lacks the scope this operation requires (${[...new Set(missing)].join(", ")})` : "the credential does not satisfy this operation's security requirements");
  };
}
