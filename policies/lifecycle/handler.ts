/**
 * lifecycle at the gateway: a retired API answers 410 Gone with a link to its successor; a
 * deprecated one answers normally with Deprecation (RFC 9745), Sunset (RFC 8594) and a
 * successor Link.
 */
import type { z } from "zod";
import type { HandlerFactory } from "../../gateway-image/src/chain/policy-handler";
import { appendHeader } from "../../gateway-image/src/http/exchange";
import { problem } from "../../gateway-image/src/http/problem";
import type { lifecyclePolicy } from "./schema";

export const createLifecycleHandler: HandlerFactory<z.output<typeof lifecyclePolicy.config>> = (config) => {
  const link = config.successor ? `<${config.successor.basePath}>; rel="successor-version"` : null;
  if (config.state === "retired") {
    const detail = config.successor
      ? `this API version is retired; use ${config.successor.api} (${config.successor.version}) at ${config.successor.basePath}`
      : "this API version is retired";
    return {
      access: () => problem("gone", detail, { headers: link ? { link } : {} }),
    };
  }
  const deprecation = config.deprecatedSince ? `@${Date.parse(`${config.deprecatedSince}T00:00:00Z`) / 1000}` : "true";
  const sunset = config.sunset ? new Date(`${config.sunset}T00:00:00Z`).toUTCString() : null;
  return {
    response(_exchange, _status, headers) {
      headers.deprecation = deprecation;
      if (sunset) headers.sunset = sunset;
      if (link) appendHeader(headers, "link", link);
    },
  };
};
