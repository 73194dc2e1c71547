/**
 * apiKey at the gateway: reads the key from its header or query parameter, finds the
 * consumer by the key's SHA-256 digest (verified keys are remembered), and removes the key before the request goes upstream.
 * A request without a key is left to the authentication gate (another policy may
 * authenticate it, or the operation may allow anonymous calls).
 *
 * With a control store, a key no declared consumer owns is asked of the keys the control plane
 * issued (`issuedKeys`): synchronous for a key it has cached, a promise for one it must verify,
 * and 503 when the store cannot answer (a key it cannot check is neither let in nor called bad).
 * Its consumer carries only the app's ACTIVE subscriptions, so the authentication gate
 * answers 403 on an API none of them covers (a suspended subscription stops traffic), as it
 * does for declared consumers.
 */
import { type ConsumerRecord, apiKeyDigest } from "../../gateway-image/src/identity/consumer-directory";
import type { Exchange } from "../../gateway-image/src/http/exchange";
import type { HandlerFactory } from "../../gateway-image/src/chain/policy-handler";
import { problem } from "../../gateway-image/src/http/problem";
import { queryEditor } from "../../gateway-image/src/http/query-edit";
import type { z } from "zod";
import type { apiKeyPolicy } from "./schema";

export const createApiKeyHandler: HandlerFactory<z.output<typeof apiKeyPolicy.config>> = (config, { consumers, issuedKeys }) => {
  const scheme = config.securityScheme ?? "apiKey";
  const fromHeader = config.in === "header";
  const name = config.name;
  const removeKey = queryEditor({ remove: [name], set: [] });
  const invalid = problem("unauthorized", `the API key in ${fromHeader ? "header" : "query parameter"} ${name} is not valid`);
  const unverifiable = problem("service-unavailable", "API keys cannot be verified right now; try again shortly", { headers: { "retry-after": "1" } });
  const identify = (exchange: Exchange, consumer: ConsumerRecord | null | undefined) => {
    if (consumer === undefined || consumer === null) return invalid;
    if (exchange.consumer !== null && exchange.consumer !== consumer) return problem("unauthorized", "the request carries credentials of two different consumers");
    exchange.consumer = consumer;
    exchange.authenticatedBy ??= "apiKey";
    exchange.satisfiedSchemes.add(scheme);
    return undefined;
  };
  return {
    access(exchange) {
      let key: string | null | undefined;
      if (fromHeader) {
        const value = exchange.req.headers[name];
        key = Array.isArray(value) ? value[0] : value;
      } else {
        key = exchange.query === "" ? null : exchange.searchParams.get(name);
      }
      if (key === undefined || key === null || key === "") return undefined;
      if (issuedKeys === undefined) return identify(exchange, consumers.findByApiKey(key));
      // With a control plane, a key no declared consumer owns is looked up there too: one
      // digest serves both lookups (issued keys are cached by digest, never by the key).
      const remembered = consumers.rememberedApiKey(key);
      if (remembered !== undefined) return identify(exchange, remembered);
      const digest = apiKeyDigest(key);
      const declared = consumers.findByApiKeyDigest(key, digest);
      if (declared !== undefined) return identify(exchange, declared);
      const issued = issuedKeys.find(key, digest);
      if (issued instanceof Promise) return issued.then((found) => identify(exchange, found), () => unverifiable);
      return identify(exchange, issued);
    },
    request: config.hideCredentials
      ? (exchange) => {
          if (fromHeader) {
            exchange.upstreamHeaders[name] = undefined;
          } else if (exchange.upstreamQuery !== "") {
            exchange.upstreamQuery = removeKey(exchange.upstreamQuery);
          }
          return undefined;
        }
      : undefined,
  };
};
