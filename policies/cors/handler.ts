/**
 * cors at the gateway: answers preflight requests itself (the upstream never sees them) and
 * adds CORS headers to every response to an allowed origin, including the gateway's own
 * error answers, so browser code can read a 401 or a 429.
 */
import type { z } from "zod";
import type { HandlerFactory } from "../../gateway-image/src/chain/policy-handler";
import { appendHeader } from "../../gateway-image/src/http/exchange";
import { emptyReply, problem } from "../../gateway-image/src/http/problem";
import type { corsPolicy } from "./schema";

export const createCorsHandler: HandlerFactory<z.output<typeof corsPolicy.config>> = (config) => {
  const anyOrigin = config.origins.includes("*");
  const origins = new Set(config.origins);
  const methods = config.methods.join(", ");
  const allowedHeaders = config.allowedHeaders.join(", ");
  const exposedHeaders = config.exposedHeaders.join(", ");
  const maxAge = String(config.maxAgeSeconds);
  const allows = (origin: string) => anyOrigin || origins.has(origin);
  // With "*" the answer is the same for every origin; otherwise caches must keep one per origin.
  const allowOrigin = (origin: string) => (anyOrigin && !config.credentials ? "*" : origin);

  return {
    access(exchange) {
      const req = exchange.req;
      const origin = req.headers.origin;
      if (origin === undefined || req.method !== "OPTIONS" || req.headers["access-control-request-method"] === undefined) return undefined;
      if (!allows(origin)) return problem("forbidden", `origin ${origin} may not call this API from a browser`, { headers: { vary: "Origin" } });
      const headers: Record<string, string> = {
        "access-control-allow-origin": allowOrigin(origin),
        "access-control-allow-methods": methods,
        "access-control-allow-headers": allowedHeaders,
        "access-control-max-age": maxAge,
        vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
      };
      if (config.credentials) headers["access-control-allow-credentials"] = "true";
      return emptyReply(204, headers);
    },
    response(exchange, _status, headers) {
      const origin = exchange.req.headers.origin;
      // Every answer that depends on Origin says so, including those to no or another origin:
      // a shared cache in front of the gateway (a CDN) would otherwise keep an answer without
      // the grant and hand it to an allowed origin. With "*" and no credentials the
      // grant is the same for everyone, so it goes on every answer and nothing varies.
      // (A preflight's answer is made whole in access.)
      if (exchange.req.method === "OPTIONS") return;
      const everyone = anyOrigin && !config.credentials;
      if (!everyone) appendHeader(headers, "vary", "Origin");
      if (!everyone && (origin === undefined || !allows(origin))) return;
      headers["access-control-allow-origin"] = everyone ? "*" : origin!;
      if (exposedHeaders !== "") headers["access-control-expose-headers"] = exposedHeaders;
      if (config.credentials) headers["access-control-allow-credentials"] = "true";
    },
  };
};
