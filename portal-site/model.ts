/**
 * What the portal shows, derived from the manifest only: the APIs and products it lists, how
 * each API authenticates (read from the policies in its operations' chains, so the how-to is
 * what the gateway enforces), and the limits per plan. Pages render these; tests compare them
 * with the manifest.
 */
import type { Api, GatewayConfig, Operation, Plan, PolicyInstance, Pricing, Product } from "../constructs/manifest/schema";

/** Authentication kinds the catalog filters on; `none` is an operation anyone may call. */
export const AUTH_KINDS = ["apiKey", "jwt", "mtls", "none"] as const;
export type AuthKind = (typeof AUTH_KINDS)[number];

export const AUTH_LABELS: Record<AuthKind, string> = { apiKey: "API key", jwt: "JWT (OAuth 2.0 bearer)", mtls: "Mutual TLS", none: "No authentication" };

/*
 * The resolved configs the portal reads. `PolicyInstance` does not narrow its `config` by
 * `policy` (the schema's union is built from the policy list), so they are read through these
 * shapes, as cli/dev/first-call.ts does; each matches its policy's `schema.ts`.
 */
interface ApiKeyConfig { in: "header" | "query"; name: string; securityScheme: string | null }
interface JwtConfig { issuer: string; audiences: string[]; algorithms: string[]; header: string; requiredScopes: string[] }
interface MtlsConfig { allowedSubjects: string[] }
interface RateLimitConfig { requests: number; perSeconds: number; burst?: number; key: "consumer" | "ip" | "global" }
interface QuotaConfig { requests: number; period: string; key: "consumer" | "ip" | "global" }
interface MaskingConfig { fields: MaskedField[] }
type InstanceOf<C> = Omit<PolicyInstance, "config"> & { config: C };

/** An apiKey policy: where the key goes. */
export interface ApiKeyAuth {
  readonly in: "header" | "query";
  /** Header (lower-case, as the gateway reads it) or query parameter. */
  readonly name: string;
  /** The name as the contract's security scheme spells it (headers are case-insensitive). */
  readonly displayName: string;
  readonly operations: readonly string[];
}

export interface JwtAuth {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly algorithms: readonly string[];
  readonly header: string;
  readonly requiredScopes: readonly string[];
  readonly operations: readonly string[];
}

export interface MtlsAuth {
  readonly allowedSubjects: readonly string[];
  readonly operations: readonly string[];
}

export interface ApiAuth {
  /** Kinds used by at least one operation, in {@link AUTH_KINDS} order. */
  readonly kinds: readonly AuthKind[];
  readonly apiKey: readonly ApiKeyAuth[];
  readonly jwt: readonly JwtAuth[];
  readonly mtls: readonly MtlsAuth[];
  /** operationIds anyone may call. */
  readonly anonymous: readonly string[];
  /** Scopes the contract requires per operation (non-empty only). */
  readonly scopes: readonly { operationId: string; scopes: readonly string[] }[];
}

/** The APIs the portal lists: every API that is not a draft (drafts are served, not listed). */
export function listedApis(manifest: GatewayConfig): Api[] {
  return manifest.spec.apis.filter((api) => api.lifecycle !== "draft");
}

/** The products the portal shows: public ones. */
export function listedProducts(manifest: GatewayConfig): Product[] {
  return manifest.spec.products.filter((product) => product.visibility === "public");
}

/** Plans offered by at least one listed product, in manifest order. */
export function listedPlans(manifest: GatewayConfig): Plan[] {
  const offered = new Set(listedProducts(manifest).flatMap((product) => product.plans));
  return manifest.spec.plans.filter((plan) => offered.has(plan.name));
}

/** Listed products that contain the API. */
export function productsOf(manifest: GatewayConfig, api: Api): Product[] {
  return listedProducts(manifest).filter((product) => product.apis.includes(api.id));
}

function instancesOf(manifest: GatewayConfig): Map<string, PolicyInstance> {
  return new Map(manifest.spec.policies.map((instance) => [instance.id, instance]));
}

function chain(instances: Map<string, PolicyInstance>, operation: Operation): PolicyInstance[] {
  return operation.policies.flatMap((id) => {
    const instance = instances.get(id);
    return instance === undefined ? [] : [instance];
  });
}

/** How the API's operations authenticate, from the policies in their chains. */
export function authOf(manifest: GatewayConfig, api: Api): ApiAuth {
  const instances = instancesOf(manifest);
  const apiKeys = new Map<string, { instance: InstanceOf<ApiKeyConfig>; operations: string[] }>();
  const jwts = new Map<string, { instance: InstanceOf<JwtConfig>; operations: string[] }>();
  const mtlss = new Map<string, { instance: InstanceOf<MtlsConfig>; operations: string[] }>();
  const anonymous: string[] = [];
  const scopes: { operationId: string; scopes: string[] }[] = [];
  for (const operation of api.operations) {
    let authenticated = false;
    for (const any of chain(instances, operation)) {
      if (any.policy === "apiKey") {
        authenticated = true;
        const instance = any as InstanceOf<ApiKeyConfig>;
        const key = `${instance.config.in}:${instance.config.name}`;
        const entry = apiKeys.get(key) ?? { instance, operations: [] };
        entry.operations.push(operation.operationId);
        apiKeys.set(key, entry);
      } else if (any.policy === "jwt") {
        authenticated = true;
        const instance = any as InstanceOf<JwtConfig>;
        const entry = jwts.get(instance.id) ?? { instance, operations: [] };
        entry.operations.push(operation.operationId);
        jwts.set(instance.id, entry);
      } else if (any.policy === "mtls") {
        authenticated = true;
        const instance = any as InstanceOf<MtlsConfig>;
        const entry = mtlss.get(instance.id) ?? { instance, operations: [] };
        entry.operations.push(operation.operationId);
        mtlss.set(instance.id, entry);
      }
    }
    if (!authenticated) anonymous.push(operation.operationId);
    const required = [...new Set((operation.security ?? []).flatMap((alternative) => alternative.flatMap((requirement) => requirement.scopes)))].sort();
    if (authenticated && required.length > 0) scopes.push({ operationId: operation.operationId, scopes: required });
  }
  const apiKey = [...apiKeys.values()].map(({ instance, operations }): ApiKeyAuth => {
    const scheme = instance.config.securityScheme === null ? undefined : api.securitySchemes[instance.config.securityScheme];
    const contractName = scheme?.type === "apiKey" && scheme.name.toLowerCase() === instance.config.name.toLowerCase() ? scheme.name : null;
    return { in: instance.config.in, name: instance.config.name, displayName: contractName ?? instance.config.name, operations };
  });
  const jwt = [...jwts.values()].map(({ instance, operations }): JwtAuth => ({
    issuer: instance.config.issuer,
    audiences: instance.config.audiences,
    algorithms: instance.config.algorithms,
    header: instance.config.header,
    requiredScopes: instance.config.requiredScopes,
    operations,
  }));
  const mtls = [...mtlss.values()].map(({ instance, operations }): MtlsAuth => ({ allowedSubjects: instance.config.allowedSubjects, operations }));
  const present: Record<AuthKind, boolean> = { apiKey: apiKey.length > 0, jwt: jwt.length > 0, mtls: mtls.length > 0, none: anonymous.length > 0 };
  return { kinds: AUTH_KINDS.filter((kind) => present[kind]), apiKey, jwt, mtls, anonymous, scopes };
}

/** A plan's row on an API's page: what a subscription through `product` gives. */
export interface PlanLimits {
  readonly product: Product;
  readonly plan: Plan;
}

/** A limit that applies whatever the plan (declared on the platform, the API or an operation). */
export interface SharedLimit {
  readonly policy: "rateLimit" | "quota";
  readonly scope: string;
  readonly key: "consumer" | "ip" | "global";
  /** operationIds it applies to; every operation of the API when `all`. */
  readonly operations: readonly string[];
  readonly all: boolean;
  readonly requests: number;
  /** rateLimit only. */
  readonly perSeconds: number | null;
  readonly burst: number | null;
  /** quota only. */
  readonly period: string | null;
}

/** Plans of the API (through its listed products) and the limits every caller of it gets. */
export function limitsOf(manifest: GatewayConfig, api: Api): { plans: PlanLimits[]; shared: SharedLimit[] } {
  const plansByName = new Map(manifest.spec.plans.map((plan) => [plan.name, plan]));
  const plans = productsOf(manifest, api).flatMap((product) =>
    product.plans.flatMap((name) => {
      const plan = plansByName.get(name);
      return plan === undefined ? [] : [{ product, plan }];
    }),
  );
  const instances = instancesOf(manifest);
  const shared = new Map<string, { instance: InstanceOf<RateLimitConfig | QuotaConfig>; operations: string[] }>();
  for (const operation of api.operations) {
    for (const any of chain(instances, operation)) {
      // Plan-level entries (`when` set) are the plans' own limits, shown per plan.
      if ((any.policy !== "rateLimit" && any.policy !== "quota") || any.when !== null) continue;
      const instance = any as InstanceOf<RateLimitConfig | QuotaConfig>;
      const entry = shared.get(instance.id) ?? { instance, operations: [] };
      entry.operations.push(operation.operationId);
      shared.set(instance.id, entry);
    }
  }
  return {
    plans,
    shared: [...shared.values()].map(({ instance, operations }): SharedLimit => {
      const rate = instance.policy === "rateLimit" ? (instance.config as RateLimitConfig) : null;
      const quota = instance.policy === "quota" ? (instance.config as QuotaConfig) : null;
      return {
        policy: rate ? "rateLimit" : "quota",
        scope: instance.scope,
        key: instance.config.key,
        operations,
        all: operations.length === api.operations.length,
        requests: instance.config.requests,
        perSeconds: rate ? rate.perSeconds : null,
        burst: rate ? (rate.burst ?? rate.requests) : null,
        period: quota ? quota.period : null,
      };
    }),
  };
}

/** One field rule of a masking policy, as its schema resolves it. */
export interface MaskedField {
  readonly path: string;
  readonly action: "redact" | "remove";
  readonly replacement: string;
  readonly keepLast: number;
}

/** A masking policy on an API: the response fields it changes, for whom, on which operations. */
export interface ApiMasking {
  /** The plan whose apps it applies to; null for every caller. */
  readonly plan: { readonly product: Product; readonly plan: Plan } | null;
  /** operationIds it applies to; every operation of the API when `all`. */
  readonly operations: readonly string[];
  readonly all: boolean;
  readonly fields: readonly MaskedField[];
}

/**
 * The masking policies in the API's chains, so that developers know which response fields
 * they receive changed (a plan's only for that plan's apps, and only for listed products).
 */
export function maskingOf(manifest: GatewayConfig, api: Api): ApiMasking[] {
  const instances = instancesOf(manifest);
  const products = new Map(listedProducts(manifest).map((product) => [product.name, product]));
  const plans = new Map(manifest.spec.plans.map((plan) => [plan.name, plan]));
  const found = new Map<string, { instance: InstanceOf<MaskingConfig>; operations: string[] }>();
  for (const operation of api.operations) {
    for (const any of chain(instances, operation)) {
      if (any.policy !== "masking") continue;
      const entry = found.get(any.id) ?? { instance: any as InstanceOf<MaskingConfig>, operations: [] };
      entry.operations.push(operation.operationId);
      found.set(any.id, entry);
    }
  }
  return [...found.values()].flatMap(({ instance, operations }): ApiMasking[] => {
    const all = operations.length === api.operations.length;
    if (instance.when === null) return [{ plan: null, operations, all, fields: instance.config.fields }];
    const product = products.get(instance.when.product);
    const plan = plans.get(instance.when.plan);
    return product === undefined || plan === undefined ? [] : [{ plan: { product, plan }, operations, all, fields: instance.config.fields }];
  });
}

/** What a masked field becomes, in words: `removed`, `replaced by "****"`, `"****" + its last 4 characters`. */
export function maskedFieldText(field: MaskedField): string {
  if (field.action === "remove") return "removed";
  return field.keepLast > 0 ? `replaced by ${JSON.stringify(field.replacement)} and its last ${field.keepLast} characters` : `replaced by ${JSON.stringify(field.replacement)}`;
}

/** "per second", "per minute", "per 5 seconds". */
export function perWindow(perSeconds: number): string {
  if (perSeconds === 1) return "per second";
  if (perSeconds === 60) return "per minute";
  if (perSeconds === 3600) return "per hour";
  if (perSeconds === 86_400) return "per day";
  return `per ${perSeconds} seconds`;
}

/** Price as text, e.g. `49 USD per month`. */
export function priceText(pricing: Pricing): string {
  switch (pricing.model) {
    case "free":
      return "Free";
    case "flat":
      return `${pricing.monthlyPrice.toLocaleString("en-US", { maximumFractionDigits: 2 })} ${pricing.currency} per month`;
    case "metered":
      return `${pricing.monthlyPrice.toLocaleString("en-US", { maximumFractionDigits: 2 })} ${pricing.currency} per month + ${pricing.pricePer1000Requests.toLocaleString("en-US", { maximumFractionDigits: 4 })} ${pricing.currency} per 1,000 requests`;
    case "custom":
      return "Custom pricing";
  }
}

/** GET operations a key can try without filling in parameters (none required), per API. */
export function tryableOperations(manifest: GatewayConfig, api: Api): { operationId: string; summary: string | null; route: string; key: ApiKeyAuth }[] {
  if (api.lifecycle === "retired") return [];
  const auth = authOf(manifest, api);
  return api.operations.flatMap((operation) => {
    if (operation.method !== "GET" || operation.parameters.some((parameter) => parameter.required)) return [];
    const key = auth.apiKey.find((candidate) => candidate.operations.includes(operation.operationId));
    return key === undefined ? [] : [{ operationId: operation.operationId, summary: operation.summary, route: operation.route, key }];
  });
}

/** The credentials one operation needs: every authenticating policy in its chain must pass. */
export interface OperationCredentials {
  readonly apiKey: readonly ApiKeyAuth[];
  readonly jwt: readonly JwtAuth[];
  /** A client certificate is required (browsers' try-it cannot present one). */
  readonly mtls: boolean;
}

export function credentialsOf(auth: ApiAuth, operationId: string): OperationCredentials {
  return {
    apiKey: auth.apiKey.filter((key) => key.operations.includes(operationId)),
    jwt: auth.jwt.filter((token) => token.operations.includes(operationId)),
    mtls: auth.mtls.some((entry) => entry.operations.includes(operationId)),
  };
}

/** The header a JWT policy reads, spelled as people write it. */
export function bearerHeaderName(token: JwtAuth): string {
  return token.header === "authorization" ? "Authorization" : token.header;
}

/** APIs the portal generates an SDK for: listed and still callable (a retired API answers 410). */
export function sdkApis(manifest: GatewayConfig): Api[] {
  return listedApis(manifest).filter((api) => api.lifecycle !== "retired");
}
