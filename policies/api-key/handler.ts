/**
 * apiKey at the gateway: reads the key from its header or query parameter, finds the
 * consumer by the key's SHA-256 digest (verified keys are remembered), and removes the key before the request goes upstream.
 * A request without a key is left to the authentication gate (another policy may
 * authenticate it, or the operation may allow anonymous calls).
 */
import type { HandlerFactory } from "../../gateway-image/src/chain/policy-handler";
import { problem } from "../../gateway-image/src/http/problem";
import type { z } from "zod";
import type { apiKeyPolicy } from "./schema";

export const createApiKeyHandler: HandlerFactory<z.output<typeof apiKeyPolicy.config>> = (config, { consumers }) => {
  const scheme = config.securityScheme ?? "apiKey";
  const fromHeader = config.in === "header";
  const name = config.name;
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
      const consumer = consumers.findByApiKey(key);
      if (consumer === undefined) return problem("unauthorized", `the API key in ${fromHeader ? "header" : "query parameter"} ${name} is not valid`);
      if (exchange.consumer !== null && exchange.consumer !== consumer) return problem("unauthorized", "the request carries credentials of two different consumers");
      exchange.consumer = consumer;
      exchange.authenticatedBy ??= "apiKey";
      exchange.satisfiedSchemes.add(scheme);
      return undefined;
    },
    request: config.hideCredentials
      ? (exchange) => {
          if (fromHeader) {
            exchange.upstreamHeaders[name] = undefined;
          } else if (exchange.upstreamQuery !== "") {
            const query = new URLSearchParams(exchange.upstreamQuery);
            query.delete(name);
            exchange.upstreamQuery = query.toString();
          }
          return undefined;
        }
      : undefined,
  };
};
