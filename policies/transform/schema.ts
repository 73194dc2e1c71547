/** Request and response transforms: headers, query parameters and path rewrites. */
import { z } from "zod";
import { headerValue, settableHeaderName, sortedSet } from "../common";
import { definePolicy } from "../policy";

const settableHeader = settableHeaderName;

const headerEdits = z.strictObject({
  /**
   * Headers set (replacing any value), name → value. A value holds tabs, spaces, visible ASCII
   * and Latin-1 characters: no CR, LF or other control characters (a compile error).
   * @default {}
   */
  set: z.record(settableHeader, headerValue).default({}),
  /**
   * Headers removed.
   * @default []
   */
  remove: z.array(settableHeader).default([]),
});

const queryEdits = z.strictObject({
  /**
   * Query parameters set (replacing any value), name → value.
   * @default {}
   */
  set: z.record(z.string().min(1), z.string()).default({}),
  /**
   * Query parameters removed.
   * @default []
   */
  remove: z.array(z.string().min(1)).default([]),
});

export const transformOptions = z.strictObject({
  /** Changes to the request before it goes upstream. */
  request: z
    .strictObject({
      /** Header changes. */
      headers: headerEdits.prefault({}),
      /** Query parameter changes. */
      query: queryEdits.prefault({}),
      /**
       * Upstream path template replacing the contract path, using the operation's path
       * parameters, e.g. `/v2/items/{sku}`; `null` keeps the contract path.
       * @default null
       */
      path: z.string().startsWith("/").nullable().default(null),
    })
    .prefault({}),
  /** Changes to the response before it goes to the client. */
  response: z
    .strictObject({
      /** Header changes. */
      headers: headerEdits.prefault({}),
    })
    .prefault({}),
});

/** Options of {@link transform}. */
export type TransformOptions = z.input<typeof transformOptions>;

export const transformPolicy = definePolicy({
  name: "transform",
  summary: "Sets or removes request and response headers and query parameters, and rewrites the upstream path.",
  phases: ["request", "response"],
  priority: 100,
  levels: ["platform", "api", "operation", "plan"],
  options: transformOptions,
  resolve(options, { operation, error }) {
    const template = options.request.path;
    if (template !== null) {
      for (const [, name] of template.matchAll(/\{([^}]*)\}/g)) {
        if (!operation.pathParameters.includes(name!)) {
          error({
            field: "request.path",
            message: `path template uses {${name}}, which is not a path parameter of ${operation.operationId} (${operation.path})`,
            expected: operation.pathParameters.length ? operation.pathParameters.map((p) => `{${p}}`).join(", ") : "no parameters",
            received: `{${name}}`,
          });
        }
      }
    }
    return {
      request: {
        headers: { set: options.request.headers.set, remove: sortedSet(options.request.headers.remove) },
        query: { set: options.request.query.set, remove: sortedSet(options.request.query.remove) },
        path: options.request.path,
      },
      response: { headers: { set: options.response.headers.set, remove: sortedSet(options.response.headers.remove) } },
    };
  },
});

/** Transforms requests and responses, e.g. `transform({ request: { headers: { set: { "x-tenant": "acme" } } } })`. */
export function transform(options: TransformOptions) {
  return transformPolicy.declare(options);
}
