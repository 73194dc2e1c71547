/** CORS: the gateway answers preflight requests itself and adds CORS headers to responses. */
import { z } from "zod";
import { headerName, httpMethod } from "../common";
import { definePolicy } from "../policy";

const origin = z.string().refine(
  (value) => {
    if (value === "*") return true;
    try {
      const url = new URL(value);
      return (url.protocol === "https:" || url.protocol === "http:") && url.origin === value;
    } catch {
      return false;
    }
  },
  { message: 'an origin is scheme://host[:port] with no path or trailing slash (e.g. "https://shop.acme.example"), or "*"' },
);

/** Headers the gateway adds that scripts may read, besides the CORS-safelisted ones. */
const GATEWAY_RESPONSE_HEADERS = ["ratelimit", "ratelimit-policy", "retry-after"];

export const corsOptions = z
  .strictObject({
    /** Origins allowed to call the API from a browser, or `["*"]` for any. */
    origins: z.array(origin).min(1),
    /**
     * Methods allowed in cross-origin requests.
     * @default the methods the contract declares on the requested path
     */
    methods: z.array(httpMethod).min(1).optional(),
    /**
     * Request headers allowed in cross-origin requests.
     * @default `content-type`, the credential header of the chain's auth policies and the
     * header parameters the contract declares on the path
     */
    allowedHeaders: z.array(headerName).optional(),
    /**
     * Response headers scripts may read.
     * @default the gateway's rate-limit headers, the platform's request-id header and the
     * response headers the contract declares on the path
     */
    exposedHeaders: z.array(headerName).optional(),
    /**
     * Allow cookies and HTTP authentication in cross-origin requests.
     * @default false
     */
    credentials: z.boolean().default(false),
    /**
     * How long browsers may cache a preflight answer, in seconds (browsers cap it; Chromium at 7200).
     * @default 600
     */
    maxAgeSeconds: z.number().int().min(0).max(86_400).default(600),
  })
  .refine((options) => !(options.credentials && options.origins.includes("*")), {
    message: 'credentials cannot be allowed for origin "*" (the Fetch standard forbids it); list the origins',
    path: ["credentials"],
  });

/** Options of {@link cors}. */
export type CorsOptions = z.input<typeof corsOptions>;

export const corsPolicy = definePolicy({
  name: "cors",
  summary: "Answers CORS preflight requests at the gateway and adds CORS headers for the allowed origins.",
  phases: ["access", "response"],
  priority: 200,
  levels: ["platform", "api"],
  options: corsOptions,
  resolveLate: true,
  resolve(options, { operation, resolved, gateway }) {
    const credentialHeaders = resolved.flatMap(({ policy, config }) => {
      if (policy === "apiKey") {
        const apiKeyConfig = config as { in: string; name: string };
        return apiKeyConfig.in === "header" ? [apiKeyConfig.name] : [];
      }
      return policy === "jwt" ? [(config as { header: string }).header] : [];
    });
    const sorted = <T extends string>(values: Iterable<T>): T[] => [...new Set(values)].sort();
    return {
      origins: sorted(options.origins),
      methods: sorted(options.methods ?? operation.pathMethods),
      allowedHeaders: sorted(options.allowedHeaders ?? ["content-type", ...credentialHeaders, ...operation.pathRequestHeaders]),
      exposedHeaders: sorted(options.exposedHeaders ?? [...GATEWAY_RESPONSE_HEADERS, gateway.requestIdHeader, ...operation.pathResponseHeaders]),
      credentials: options.credentials,
      maxAgeSeconds: options.maxAgeSeconds,
    };
  },
});

/** Allows browser calls from the given origins, e.g. `cors({ origins: ["https://shop.acme.example"] })`. */
export function cors(options: CorsOptions) {
  return corsPolicy.declare(options);
}
