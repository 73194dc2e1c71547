/** A route of the router: everything a request to one operation needs, prepared at load. */
import type { Operation } from "../../../constructs/manifest/schema";
import type { Exchange, HeaderMap } from "../http/exchange";
import type { PolicyHandler, StepResult } from "../chain/policy-handler";
import type { BodyRewrite } from "../http/body-rewrite";
import type { RouteRecorder } from "../observability/route-metrics";
import type { Upstream } from "../upstream/upstream";

export type Step = (exchange: Exchange) => StepResult;
export type ResponseStep = (exchange: Exchange, status: number, headers: HeaderMap) => void;
/** Decides, from an upstream answer's head, whether its body is rewritten (`PolicyHandler.responseBody`). */
export type ResponseBodyStep = (exchange: Exchange, status: number, headers: HeaderMap) => BodyRewrite | undefined;
export type LogStep = (exchange: Exchange) => void;
export type ProxyStep = NonNullable<PolicyHandler["proxy"]>;

/** The steps a plan adds for its consumers. */
export interface PlanSteps {
  readonly limit: readonly Step[];
  readonly request: readonly Step[];
  readonly response: readonly ResponseStep[];
  readonly responseBody: readonly ResponseBodyStep[];
}

/**
 * The one empty list, shared by every route without steps in a phase or without path
 * parameters (most of a 1,000-route snapshot's lists): an array of its own per route and
 * list cost ~1 MB there. Not frozen: a frozen array has its own elements kind, which would
 * make the loops over steps polymorphic.
 */
export const EMPTY_LIST: readonly never[] = [];

/** The one empty map of plan steps, shared like `EMPTY_LIST`. */
export const NO_PLANS: ReadonlyMap<string, PlanSteps> = new Map();

export const NO_PLAN_STEPS: PlanSteps = { limit: EMPTY_LIST, request: EMPTY_LIST, response: EMPTY_LIST, responseBody: EMPTY_LIST };

export interface CompiledRoute {
  /** `operation`: proxied; `method-not-allowed`: 405; `options`: preflight or Allow. */
  readonly kind: "operation" | "method-not-allowed" | "options";
  readonly apiId: string | null;
  readonly operationId: string | null;
  readonly operation: Operation | null;
  /** Base path to strip from the request path to get the contract path. */
  readonly basePath: string;
  /** Methods the path serves, for `Allow`. */
  readonly allow: string;
  /** For `options` routes: the operation route per method, to run a CORS preflight against. */
  readonly byMethod: ReadonlyMap<string, CompiledRoute> | null;
  readonly access: readonly Step[];
  readonly limit: readonly Step[];
  readonly request: readonly Step[];
  readonly response: readonly ResponseStep[];
  /** Rewrites of upstream answers' bodies, run after `response`. */
  readonly responseBody: readonly ResponseBodyStep[];
  readonly log: readonly LogStep[];
  readonly proxy: ProxyStep | null;
  /** Steps of plan-conditioned policies, by `product/plan`. */
  readonly byPlan: ReadonlyMap<string, PlanSteps>;
  /** Null when the API cannot be proxied here (a mock upstream not served by this gateway). */
  readonly upstream: Upstream | null;
  /** Whether a path with `%2F` or `%5C` is forwarded as sent (the upstream's `encodedSlashes: "forward"`) rather than refused. */
  readonly forwardsEncodedSlashes: boolean;
  /** Contract names of the router's positional parameters `p0`, `p1`, ... */
  readonly paramNames: readonly string[];
  /** Largest body a policy may buffer, in bytes. */
  readonly maxBufferedBodyBytes: number;
  readonly recorder: RouteRecorder | null;
}

/** A route the gateway answers itself (405, OPTIONS, 404): no policies, no upstream. */
export function systemRoute(
  kind: "options" | "method-not-allowed",
  apiId: string | null,
  basePath: string,
  allow: string,
  byMethod: ReadonlyMap<string, CompiledRoute> | null,
): CompiledRoute {
  return {
    kind,
    apiId,
    operationId: null,
    operation: null,
    basePath,
    allow,
    byMethod,
    access: EMPTY_LIST,
    limit: EMPTY_LIST,
    request: EMPTY_LIST,
    response: EMPTY_LIST,
    responseBody: EMPTY_LIST,
    log: EMPTY_LIST,
    proxy: null,
    byPlan: NO_PLANS,
    upstream: null,
    forwardsEncodedSlashes: false,
    maxBufferedBodyBytes: 0,
    paramNames: EMPTY_LIST,
    recorder: null,
  };
}
