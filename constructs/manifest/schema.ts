/**
 * The manifest: `turnpike.dev/v1` `GatewayConfig`, the only contract between the declaration
 * and everything built from it (the gateway, Kubernetes, AWS, the portal, dashboards, load
 * tests). This module is its one schema; `dist/manifest.schema.json` is generated from it.
 *
 * Every default is written out: a consumer of the manifest never has a default to guess.
 * Optional features are `null` when off, lists are `[]` when empty.
 */
import { z } from "zod";
import { basePath as basePathSchema, ipRange, settableHeaderName } from "../../policies/common";
import { POLICIES } from "../../policies/index";
import { ATTACH_LEVELS, PHASES } from "../../policies/policy";
import { secretRefSchema } from "../secret";
import { upstreamConfigSchema } from "../upstream";

export const MANIFEST_API_VERSION = "turnpike.dev/v1";
export const MANIFEST_KIND = "GatewayConfig";

/** Lower-case name used in URLs, metric labels and Kubernetes object names. */
export const slugSchema = z
  .string()
  .max(63)
  .regex(/^[a-z]([a-z0-9-]*[a-z0-9])?$/, "lower-case letters, digits and -, starting with a letter and not ending with -");

/** Semantic version 2.0.0. */
export const semverSchema = z
  .string()
  .regex(
    /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/,
    "a semantic version MAJOR.MINOR.PATCH, e.g. 1.4.0",
  );

/** A schema object of the contract (OpenAPI 3.0 schema or JSON Schema 2020-12 for 3.1); `$ref`s point into `contract.document`. */
const contractSchemaObject = z.record(z.string(), z.unknown());

export const securitySchemeSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("apiKey"), in: z.enum(["header", "query", "cookie"]), name: z.string() }),
  z.strictObject({ type: z.literal("http"), scheme: z.string(), bearerFormat: z.string().nullable() }),
  z.strictObject({ type: z.literal("oauth2"), flows: z.array(z.string()), scopes: z.array(z.string()) }),
  z.strictObject({ type: z.literal("openIdConnect"), openIdConnectUrl: z.string() }),
  z.strictObject({ type: z.literal("mutualTLS") }),
]);
export type SecurityScheme = z.output<typeof securitySchemeSchema>;

/** One scheme of a security alternative, with the scopes the operation requires. */
export const securityRequirementSchema = z.strictObject({ scheme: z.string(), scopes: z.array(z.string()) });
export type SecurityRequirement = z.output<typeof securityRequirementSchema>;

/** A security alternative: every requirement in it must hold. An empty one means anonymous is allowed. */
export const securityAlternativeSchema = z.array(securityRequirementSchema);
export type SecurityAlternative = z.output<typeof securityAlternativeSchema>;

const mediaTypesSchema = z.record(z.string(), z.strictObject({ schema: contractSchemaObject.nullable() }));

export const parameterSchema = z.strictObject({
  name: z.string(),
  in: z.enum(["path", "query", "header", "cookie"]),
  required: z.boolean(),
  deprecated: z.boolean(),
  /** Serialization style (OpenAPI defaults written out: form for query/cookie, simple for path/header). */
  style: z.string(),
  explode: z.boolean(),
  schema: contractSchemaObject.nullable(),
  /** Set when the parameter is described by `content` instead of `schema`. */
  mediaType: z.string().nullable(),
});
export type Parameter = z.output<typeof parameterSchema>;

export const responseSchema = z.strictObject({
  /** Status code, a range such as `4XX`, or `default`. */
  status: z.string(),
  content: mediaTypesSchema,
  /** Lower-case names of the documented response headers. */
  headers: z.array(z.string()),
});

/** Condition of a plan-level chain entry: it applies to consumers subscribed with this plan. */
const planConditionSchema = z.strictObject({ product: slugSchema, plan: slugSchema });

const policyInstanceFields = {
  /**
   * Unique id of this resolved instance, referenced from `operations[].policies`. It is the
   * `scope`, suffixed with `#` and a hash of the config when the scope has several variants
   * (e.g. a CORS policy resolved per path).
   */
  id: z.string(),
  /**
   * What the instance was declared as, and the namespace of its state: instances with one
   * scope share counters and caches (an API-level rate limit is one budget across the API's
   * operations). `platform/<slot>`, `<api>/<slot>`, `<api>/<operation>/<slot>` or
   * `<product>/<plan>/<slot>`.
   */
  scope: z.string(),
  /** Level the policy was declared at (`lifecycle` is added by the compiler at `api`). */
  level: z.enum(ATTACH_LEVELS),
  /** Construct path of the declaration. */
  declaredAt: z.string(),
  /** Phases the handler acts in. */
  phases: z.array(z.enum(PHASES)),
  /** `null`: applies to every request; otherwise only to consumers of that product and plan. */
  when: planConditionSchema.nullable(),
};

const policyInstanceVariants = POLICIES.map((policy) =>
  z.strictObject({ policy: z.literal(policy.name), ...policyInstanceFields, config: policy.config }),
);

/** One resolved policy, with its complete configuration. */
export const policyInstanceSchema = z.discriminatedUnion(
  "policy",
  policyInstanceVariants as unknown as [(typeof policyInstanceVariants)[number], ...(typeof policyInstanceVariants)[number][]],
);
export type PolicyInstance = z.output<typeof policyInstanceSchema>;

export const operationSchema = z.strictObject({
  operationId: z.string(),
  /** Upper-case HTTP method. */
  method: z.string(),
  /** Path template in the contract, e.g. `/orders/{orderId}`. */
  path: z.string(),
  /** Path template on the gateway: the API's base path + `path`. */
  route: z.string(),
  summary: z.string().nullable(),
  tags: z.array(z.string()),
  deprecated: z.boolean(),
  /** Path-level and operation-level parameters merged, references resolved. */
  parameters: z.array(parameterSchema),
  requestBody: z.strictObject({ required: z.boolean(), content: mediaTypesSchema }).nullable(),
  responses: z.array(responseSchema),
  /** Alternatives from the contract; `null` when the contract declares no security for it. */
  security: z.array(securityAlternativeSchema).nullable(),
  /** The resolved chain: ids of `spec.policies` entries in execution order (phase, priority, level). */
  policies: z.array(z.string()),
});
export type Operation = z.output<typeof operationSchema>;

export const LIFECYCLE_STATES = ["draft", "published", "deprecated", "retired"] as const;

export const apiSchema = z.strictObject({
  /** `<name>-v<major>`, unique in the platform. */
  id: z.string(),
  name: slugSchema,
  version: semverSchema,
  majorVersion: z.number().int().min(0),
  title: z.string(),
  description: z.string(),
  owner: z.string().nullable(),
  tags: z.array(z.string()),
  lifecycle: z.enum(LIFECYCLE_STATES),
  deprecatedSince: z.iso.date().nullable(),
  sunset: z.iso.date().nullable(),
  /** Manifest id of the API replacing this one. */
  successor: z.string().nullable(),
  /** Path prefix on the gateway, e.g. `/orders/v1`. */
  basePath: basePathSchema,
  declaredAt: z.string(),
  contract: z.strictObject({
    /** Path of the root file, relative to the project root; `null` for inline contracts. */
    source: z.string().nullable(),
    /** `openapi` version of the contract, e.g. `3.1.0`. */
    openapi: z.string(),
    /** sha256 of the canonical JSON of `document`. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** The contract with every external `$ref` bundled in. */
    document: z.record(z.string(), z.unknown()),
  }),
  securitySchemes: z.record(z.string(), securitySchemeSchema),
  upstream: upstreamConfigSchema,
  operations: z.array(operationSchema),
  /**
   * How `turnpike lint` treats the API: the house rules it is exempt from, each with the reason,
   * sorted by rule. Defaults to none so a manifest written before the field existed still loads.
   */
  governance: z.strictObject({ waive: z.array(z.strictObject({ rule: z.string().min(1), reason: z.string().min(1) })) }).default({ waive: [] }),
});
export type Api = z.output<typeof apiSchema>;

const money = z.number().min(0).finite();
export const pricingSchema = z.discriminatedUnion("model", [
  z.strictObject({ model: z.literal("free") }),
  z.strictObject({ model: z.literal("flat"), currency: z.string().regex(/^[A-Z]{3}$/), monthlyPrice: money }),
  z.strictObject({ model: z.literal("metered"), currency: z.string().regex(/^[A-Z]{3}$/), monthlyPrice: money, pricePer1000Requests: money }),
  z.strictObject({ model: z.literal("custom"), contact: z.string() }),
]);
export type Pricing = z.output<typeof pricingSchema>;

const rateLimitConfig = POLICIES.find((policy) => policy.name === "rateLimit")!.config;
const quotaConfig = POLICIES.find((policy) => policy.name === "quota")!.config;

export const planSchema = z.strictObject({
  name: slugSchema,
  title: z.string(),
  description: z.string(),
  declaredAt: z.string(),
  pricing: pricingSchema,
  /** The plan's rate limit as enforced per consumer; `null` when the plan has none. */
  rateLimit: rateLimitConfig.nullable(),
  /** The plan's quota as enforced per consumer; `null` when the plan has none. */
  quota: quotaConfig.nullable(),
  /** Names of the plan's other policies (their entries are in the operations' chains). */
  policies: z.array(z.string()),
});
export type Plan = z.output<typeof planSchema>;

export const productSchema = z.strictObject({
  name: slugSchema,
  title: z.string(),
  description: z.string(),
  declaredAt: z.string(),
  /** Manifest ids of the APIs. */
  apis: z.array(z.string()),
  /** Names of the plans offered. */
  plans: z.array(slugSchema),
  /** `auto`: subscriptions are active at once; `manual`: an owner approves them. */
  approval: z.enum(["auto", "manual"]),
  visibility: z.enum(["public", "private"]),
});
export type Product = z.output<typeof productSchema>;

export const credentialSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("apiKey"), secret: secretRefSchema, expires: z.iso.date().nullable() }),
  z.strictObject({ type: z.literal("jwt"), subject: z.string(), issuer: z.string().nullable() }),
  z.strictObject({ type: z.literal("mtls"), subject: z.string() }),
]);
export type Credential = z.output<typeof credentialSchema>;

export const consumerSchema = z.strictObject({
  name: slugSchema,
  displayName: z.string(),
  contact: z.string().nullable(),
  declaredAt: z.string(),
  subscriptions: z.array(z.strictObject({ product: slugSchema, plan: slugSchema })),
  credentials: z.array(credentialSchema),
});
export type Consumer = z.output<typeof consumerSchema>;

export const sloSchema = z.strictObject({
  /** `<api id>/<slo name>`. */
  id: z.string(),
  name: slugSchema,
  api: z.string(),
  /** operationIds covered; `[]` means all operations of the API. */
  operations: z.array(z.string()),
  /** Percentage of requests not answered with a 5xx, e.g. 99.9. */
  availability: z.number().nullable(),
  latencyP50Ms: z.number().nullable(),
  latencyP95Ms: z.number().nullable(),
  latencyP99Ms: z.number().nullable(),
  /** Largest percentage of requests answered with an unexpected status under load. */
  errorRatePercent: z.number().nullable(),
  /** Request rate the API is expected to sustain, requests per second. */
  throughputRps: z.number().nullable(),
  /** Window the objective is measured over, in days. */
  windowDays: z.number().int(),
  declaredAt: z.string(),
});
export type Slo = z.output<typeof sloSchema>;

export const platformSchema = z.strictObject({
  name: slugSchema,
  title: z.string(),
  description: z.string(),
  regions: z.array(z.string()),
  gateway: z.strictObject({
    /** Proxies whose `X-Forwarded-For`/`Forwarded` the gateway believes (CIDR ranges). */
    trustedProxies: z.array(ipRange),
    /** Header carrying the request id, lower-case; kept when a trusted client sends one, generated otherwise. */
    requestIdHeader: settableHeaderName,
  }),
});

export const gatewayConfigSchema = z
  .strictObject({
  apiVersion: z.literal(MANIFEST_API_VERSION),
  kind: z.literal(MANIFEST_KIND),
  metadata: z.strictObject({
    name: slugSchema,
    /** `sha256:<hex>` of the canonical JSON of the manifest (as in dist/manifest.json) with `revision` left out. */
    revision: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  }),
  spec: z.strictObject({
    platform: platformSchema,
    apis: z.array(apiSchema),
    /** Every resolved policy instance, by id; operations list the ids of their chain. */
    policies: z.array(policyInstanceSchema),
    products: z.array(productSchema),
    plans: z.array(planSchema),
    consumers: z.array(consumerSchema),
    slos: z.array(sloSchema),
  }),
  })
  .superRefine((manifest, ctx) => {
    const ids = new Set(manifest.spec.policies.map((instance) => instance.id));
    if (ids.size !== manifest.spec.policies.length) ctx.addIssue({ code: "custom", path: ["spec", "policies"], message: "policy instance ids are unique" });
    manifest.spec.apis.forEach((api, apiIndex) =>
      api.operations.forEach((operation, operationIndex) =>
        operation.policies.forEach((id, index) => {
          if (!ids.has(id)) {
            ctx.addIssue({ code: "custom", path: ["spec", "apis", apiIndex, "operations", operationIndex, "policies", index], message: `policy instance "${id}" is not in spec.policies` });
          }
        }),
      ),
    );
  });

/** A `turnpike.dev/v1` manifest. */
export type GatewayConfig = z.output<typeof gatewayConfigSchema>;

/** The manifest's JSON Schema (draft 2020-12), written to `dist/manifest.schema.json`. */
export function manifestJsonSchema(): Record<string, unknown> {
  return {
    $id: "https://turnpike.dev/schemas/v1/gateway-config.json",
    title: "Turnpike GatewayConfig (turnpike.dev/v1)",
    ...z.toJSONSchema(gatewayConfigSchema, { io: "output", target: "draft-2020-12" }),
  };
}
