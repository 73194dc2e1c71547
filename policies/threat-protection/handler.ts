/**
 * threatProtection at the gateway, in the access phase: screens the path, query and headers
 * for injection patterns (synchronously, no body needed), then, when the request has a JSON,
 * XML, form or text body that the policy must look at, buffers it (within the route's body
 * limit) and checks structure limits and, if the body is a screened location, injection.
 * A threat is answered `400 threat-detected`; a JSON or XML body the scanner cannot parse is
 * answered `400 bad-request`, and a compressed one it would have to inspect `415`. Nothing
 * rejected reaches the upstream. Details name the location and the rule, never the value.
 */
import type { z } from "zod";
import type { HandlerFactory } from "../../gateway-image/src/chain/policy-handler";
import { BodyTooLargeError, type Exchange } from "../../gateway-image/src/http/exchange";
import { type Reply, problem } from "../../gateway-image/src/http/problem";
import { type BodyKind, type BodyRejection, bodyKind, inspectBody } from "./body-inspection";
import { compileRules } from "./injection-rules";
import { type Finding, screenHeaders, screenPath, screenQuery } from "./request-screening";
import type { threatProtectionPolicy } from "./schema";

export const createThreatProtectionHandler: HandlerFactory<z.output<typeof threatProtectionPolicy.config>> = (config) => {
  const rules = compileRules(config.injection);
  const locations = new Set(config.injection.locations);
  const screens = (location: Finding["location"]) => rules.length > 0 && locations.has(location);
  const screenPathValues = screens("path");
  const screenQueryValues = screens("query");
  const screenHeaderValues = screens("headers");
  const bodyRules = screens("body") ? rules : null;
  const limits = { json: config.json, xml: config.xml };

  /** Whether the body must be read: JSON and XML always (structure limits), forms and text only when screened. */
  const inspects = (kind: BodyKind | null): kind is BodyKind => kind === "json" || kind === "xml" || (kind !== null && bodyRules !== null);

  const check = (body: Buffer, kind: BodyKind): Reply | undefined => {
    const rejection = inspectBody(body, kind, limits, bodyRules);
    return rejection === undefined ? undefined : reject(rejection, "body");
  };

  return {
    access(exchange) {
      const req = exchange.req;
      // The path as the client sent it, not as routed (exchange.url): resolving dot segments
      // only removes characters, so every pattern in the routed path is in this one, and a
      // probe such as `/a/../../etc/passwd` is still seen for what it is.
      const finding =
        (screenPathValues ? screenPath(rules, pathOf(req.url ?? "/")) : undefined) ??
        (screenQueryValues && exchange.query !== "" ? screenQuery(rules, exchange.query) : undefined) ??
        (screenHeaderValues ? screenHeaders(rules, req.headers) : undefined);
      if (finding !== undefined) return reject({ problem: "threat-detected", rule: finding.rule.name, detail: `${finding.where} matches the ${finding.rule.label} rule` }, finding.location);

      const kind = bodyKind(req.headers["content-type"]);
      if (!inspects(kind) || !hasBody(exchange)) return undefined;
      // A compressed body cannot be checked without inflating it (a zip bomb's favourite place); letting
      // it through unchecked would make Content-Encoding a way around the policy, so it is refused.
      const encoding = req.headers["content-encoding"];
      if (encoding !== undefined && encoding.trim().toLowerCase() !== "identity") {
        return problem("unsupported-media-type", "threat protection inspects this body, and cannot inspect it with a Content-Encoding; send it uncompressed", { extra: { location: "body", rule: "content-encoding" } });
      }
      // Another policy (e.g. requestValidation) may have buffered it already.
      if (exchange.body !== null) return check(exchange.body, kind);
      const maxBytes = exchange.route.maxBufferedBodyBytes;
      return exchange.readBody(maxBytes).then(
        (body) => check(body, kind),
        (error: unknown) => {
          if (error instanceof BodyTooLargeError) return problem("payload-too-large", `the request body is larger than ${maxBytes} bytes`);
          throw error;
        },
      );
    },
  };
};

function reject(rejection: BodyRejection, location: Finding["location"]): Reply {
  return problem(rejection.problem, rejection.detail, { extra: { location, rule: rejection.rule } });
}

function pathOf(url: string): string {
  const mark = url.indexOf("?");
  return mark < 0 ? url : url.slice(0, mark);
}

function hasBody(exchange: Exchange): boolean {
  const headers = exchange.req.headers;
  const length = headers["content-length"];
  return headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}
