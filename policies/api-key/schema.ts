/** API key authentication: the caller sends a key in a header or query parameter. */
import { z } from "zod";
import { TOKEN } from "../../gateway-image/src/http/header-syntax";
import { definePolicy } from "../policy";

export const apiKeyOptions = z
  .strictObject({
  /**
   * Where the caller sends the key.
   * @default the location of the contract's `apiKey` security scheme, else `"header"`
   */
  in: z.enum(["header", "query"]).optional(),
  /**
   * Header or query parameter carrying the key. Header names are written lower-case; query
   * parameter names keep their case.
   * @default the name in the contract's `apiKey` security scheme, else `"x-api-key"`
   */
  name: z.string().min(1).optional(),
  /**
   * Remove the key from the request before it goes upstream, so upstreams never see it.
   * @default true
   */
  hideCredentials: z.boolean().default(true),
  })
  .refine((options) => options.in === "query" || typeof options.name !== "string" || TOKEN.test(options.name), {
    message: "a header name is an RFC 9110 token (letters, digits, !#$%&'*+-.^_`|~)",
    path: ["name"],
    // Checked even when other options are invalid, so one compile reports both.
    when: () => true,
  });

/** Options of {@link apiKey}. */
export type ApiKeyOptions = z.input<typeof apiKeyOptions>;

export const apiKeyPolicy = definePolicy({
  name: "apiKey",
  summary: "Authenticates callers by an API key sent in a header or query parameter; keys are stored hashed.",
  phases: ["access"],
  priority: 500,
  levels: ["platform", "api", "operation"],
  options: apiKeyOptions,
  // A declared location is its own slot, so an API can implement two apiKey schemes (one
  // header, one query) that the contract offers as alternatives.
  slot: (options) => {
    if (options.in === undefined && options.name === undefined) return "apiKey";
    const location = options.in ?? "header";
    const name = options.name ?? "x-api-key";
    return `apiKey:${location}:${location === "header" ? name.toLowerCase() : name}`;
  },
  computed: {
    /** Contract security scheme this policy implements; `null` when the contract declares none. */
    securityScheme: z.string().nullable(),
  },
  resolve(options, { operation, error }) {
    const schemes = Object.entries(operation.securitySchemes).flatMap(([name, scheme]) =>
      scheme.type === "apiKey" ? [{ name, in: scheme.in, parameter: scheme.in === "header" ? scheme.name.toLowerCase() : scheme.name }] : [],
    );
    const security = operation.security;
    const referenced = security === null ? schemes : schemes.filter((scheme) => security.some((alternative) => alternative.some((requirement) => requirement.scheme === scheme.name)));
    const declared = options.in !== undefined || options.name !== undefined;
    if (referenced.length > 1 && !declared) {
      error({
        message: `the contract defines ${referenced.length} apiKey security schemes (${referenced.map((scheme) => scheme.name).join(", ")}); the policy cannot tell which one it implements`,
        fix: "set `in` and `name` on apiKey({ ... }) to the scheme it implements",
      });
    }
    const declaredIn = options.in ?? "header";
    const declaredName = options.name === undefined ? undefined : declaredIn === "header" ? options.name.toLowerCase() : options.name;
    const match = referenced.find((scheme) => (options.in ?? scheme.in) === scheme.in && (declaredName ?? scheme.parameter) === scheme.parameter);
    const location = options.in ?? match?.in ?? referenced[0]?.in ?? "header";
    const name = declaredName ?? match?.parameter ?? referenced[0]?.parameter ?? "x-api-key";
    if (referenced.length > 0 && declared && match === undefined) {
      const scheme = referenced[0]!;
      error({
        field: options.name !== undefined ? "name" : "in",
        message: `the contract's apiKey scheme "${scheme.name}" sends the key in ${scheme.in} "${scheme.parameter}", but the policy reads ${location} "${name}"; the portal would document one and the gateway enforce the other`,
        expected: `${scheme.in} "${scheme.parameter}"`,
        received: `${location} "${name}"`,
        fix: "remove `in` and `name` from apiKey() to use the contract's location, or change the contract",
      });
    }
    if (location === "cookie") {
      error({ message: `the contract's apiKey scheme "${match?.name ?? referenced[0]?.name}" sends the key in a cookie; the gateway reads keys from a header or the query`, fix: "send the key in a header (e.g. X-API-Key)" });
    }
    return {
      in: location === "query" ? ("query" as const) : ("header" as const),
      name,
      hideCredentials: options.hideCredentials,
      securityScheme: match?.name ?? referenced[0]?.name ?? null,
    };
  },
});

/**
 * Requires an API key. The key's location comes from the contract's `apiKey` security scheme
 * unless set here; a declared location that disagrees with the contract is a compile error.
 */
export function apiKey(options: ApiKeyOptions = {}) {
  return apiKeyPolicy.declare(options);
}
