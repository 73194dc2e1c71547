/** transform at the gateway: header and query edits on the way up, header edits on the way down, path rewrites. */
import type { z } from "zod";
import type { HandlerFactory } from "../../gateway-image/src/chain/policy-handler";
import type { HeaderMap } from "../../gateway-image/src/http/exchange";
import { queryEditor } from "../../gateway-image/src/http/query-edit";
import type { transformPolicy } from "./schema";

export const createTransformHandler: HandlerFactory<z.output<typeof transformPolicy.config>> = (config) => {
  const { request, response } = config;
  const setHeaders = Object.entries(request.headers.set);
  const querySet = Object.entries(request.query.set);
  const editQuery = querySet.length > 0 || request.query.remove.length > 0 ? queryEditor({ remove: request.query.remove, set: querySet }) : null;
  const pathTemplate = request.path;
  const editHeaders = (headers: HeaderMap, set: [string, string][], remove: readonly string[]) => {
    for (const name of remove) delete headers[name];
    for (const [name, value] of set) headers[name] = value;
  };
  const responseSet = Object.entries(response.headers.set);
  const editsResponse = responseSet.length > 0 || response.headers.remove.length > 0;
  return {
    request(exchange) {
      editHeaders(exchange.upstreamHeaders, setHeaders, request.headers.remove);
      if (editQuery !== null) exchange.upstreamQuery = editQuery(exchange.upstreamQuery);
      if (pathTemplate !== null) {
        exchange.upstreamPath = pathTemplate.replace(/\{([^}]+)\}/g, (_match, name: string) => encodeURIComponent(exchange.params[name] ?? ""));
      }
      return undefined;
    },
    response: editsResponse ? (_exchange, _status, headers) => editHeaders(headers, responseSet, response.headers.remove) : undefined,
  };
};
