/**
 * A validated manifest → the immutable snapshot the server answers from: the router with a
 * compiled route per operation and method, one handler per policy instance, one upstream per
 * API, the consumer directory. Built once per manifest; a reload builds a new one and swaps.
 */
import FindMyWay from "find-my-way";
import type { Logger } from "pino";
import type { Api, GatewayConfig, Operation, PolicyInstance } from "../../../constructs/manifest/schema";
import type { UpstreamConfig } from "../../../constructs/upstream";
import { HTTP_METHODS } from "../../../policies/common";
import { AUTHENTICATION_POLICY_NAMES } from "../../../policies/index";
import { authenticationGate } from "../chain/authentication-gate";
import { handlerFactory } from "../chain/handler-registry";
import type { PolicyHandler } from "../chain/policy-handler";
import type { IssuedKeyLookup } from "../control/gateway/issued-keys";
import { IpRanges } from "../http/ip-ranges";
import { ConsumerDirectory, type SecretSources, processSecretSources } from "../identity/consumer-directory";
import type { GatewayMetrics } from "../observability/metrics";
import type { Store } from "../store/store";
import type { PoolRegistry } from "../upstream/pool-registry";
import { Upstream } from "../upstream/upstream";
import { nextTurn } from "./next-turn";
import { type CompiledRoute, type LogStep, type PlanSteps, type ResponseBodyStep, type ResponseStep, type Step, NO_PLANS, EMPTY_LIST, systemRoute } from "./compiled-route";

export interface SnapshotOptions {
  readonly store: Store;
  readonly pools: PoolRegistry;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  /**
   * Where mocked APIs are sent (e.g. `turnpike dev`'s contract mock), at `<url>/<api id>`;
   * none: they answer 503. Mocked: declared with `upstream.mock`, or listed in `mockApis`.
   */
  readonly mockUpstreamUrl?: string;
  /** Ids of further APIs to send to the mock upstream (`turnpike dev` lists those whose upstream is unreachable). */
  readonly mockApis?: ReadonlySet<string>;
  readonly secrets?: SecretSources;
  /** API keys the control plane issued, for the apiKey policy (`--control-store`). */
  readonly issuedKeys?: IssuedKeyLookup;
  /** Counts requests per consumer for the control plane: a log step on every operation. */
  readonly usage?: { readonly record: LogStep };
}

/** Largest body buffered for policies that read it when no requestSizeLimit says otherwise. */
const DEFAULT_MAX_BUFFERED_BODY_BYTES = 10 * 1024 * 1024;

/**
 * Longest the build of a snapshot keeps the event loop before it lets requests run, ms. A
 * reload builds beside the snapshot serving, on the same thread: 1,000 operations take
 * ~40 ms, which every request arriving meanwhile would wait.
 */
export const BUILD_SLICE_MS = 5;

/**
 * A path's routes by request method: the operations it declares, then for every other method
 * of `HTTP_METHODS` the gateway's own answer (OPTIONS, 405). A method outside that list has
 * none (404).
 */
export type PathRoutes = ReadonlyMap<string, CompiledRoute>;

export class Snapshot {
  /**
   * Every path of every API once, under GET, its store the path's `PathRoutes`. One tree
   * rather than one per method: each method's tree would hold every path anyway (a path
   * answers 405 to the methods it lacks), which cost ~5 MB more with 1,000 operations; and
   * since every path is in it, the precedence of paths is the same for every method (a
   * concrete path before a templated one, as OpenAPI matches them).
   */
  readonly router: FindMyWay.Instance<FindMyWay.HTTPVersion.V1>;
  readonly consumers: ConsumerDirectory;
  readonly trustedProxies: IpRanges;
  readonly requestIdHeader: string;
  readonly revision: string;
  private readonly handlers: PolicyHandler[] = [];
  private readonly handlersById = new Map<string, PolicyHandler>();
  private readonly upstreams: Upstream[] = [];

  /**
   * Builds the snapshot of a manifest, handing the event loop back every `sliceMs` (requests
   * keep being answered from the current snapshot meanwhile). Throws when the manifest cannot
   * be served, after releasing what was built.
   */
  static async build(manifest: GatewayConfig, options: SnapshotOptions, sliceMs = BUILD_SLICE_MS): Promise<Snapshot> {
    const snapshot = new Snapshot(manifest, options);
    try {
      const instances = new Map(manifest.spec.policies.map((instance) => [instance.id, instance]));
      let sliceStarted = performance.now();
      for (const api of manifest.spec.apis) {
        for (const _ of snapshot.addApi(api, instances, options)) {
          if (performance.now() - sliceStarted < sliceMs) continue;
          await nextTurn();
          sliceStarted = performance.now();
        }
      }
    } catch (error) {
      void snapshot.close();
      throw error;
    }
    return snapshot;
  }

  private constructor(
    readonly manifest: GatewayConfig,
    options: SnapshotOptions,
  ) {
    this.revision = manifest.metadata.revision;
    this.trustedProxies = new IpRanges(manifest.spec.platform.gateway.trustedProxies);
    this.requestIdHeader = manifest.spec.platform.gateway.requestIdHeader;
    this.consumers = new ConsumerDirectory(manifest, options.secrets ?? processSecretSources);
    for (const warning of this.consumers.warnings) options.logger.warn({ consumer: warning.consumer }, warning.message);

    try {
      for (const instance of manifest.spec.policies) {
        const handler = handlerFactory(instance.policy)(instance.config as never, { instance, manifest, store: options.store, consumers: this.consumers, issuedKeys: options.issuedKeys, logger: options.logger, metrics: options.metrics });
        this.handlersById.set(instance.id, handler);
        this.handlers.push(handler);
      }
      this.router = FindMyWay({ ignoreTrailingSlash: false, caseSensitive: true, maxParamLength: 500 });
    } catch (error) {
      void this.close();
      throw error;
    }
  }

  /** Releases upstream pools and handler resources; in-flight requests finish first (pools close gracefully). */
  async close(): Promise<void> {
    for (const upstream of this.upstreams) upstream.close();
    await Promise.all(this.handlers.map((handler) => handler.close?.()));
  }

  /** Adds an API's routes; yields after each operation compiled and each path routed, where the build may pause. */
  private *addApi(api: Api, instances: ReadonlyMap<string, PolicyInstance>, options: SnapshotOptions): Generator<void> {
    const upstream = this.upstreamFor(api, options);
    const basePath = api.basePath === "/" ? "" : api.basePath;
    // Operations grouped by gateway path, to answer 405 and OPTIONS per path.
    const byPath = new Map<string, Map<string, CompiledRoute>>();
    for (const operation of api.operations) {
      const route = compileOperationRoute(api, operation, basePath, upstream, this.handlersById, instances, options);
      const pattern = routePattern(operation.route);
      const methods = byPath.get(pattern) ?? new Map<string, CompiledRoute>();
      methods.set(operation.method, route);
      byPath.set(pattern, methods);
      yield;
    }
    for (const [pattern, methods] of byPath) {
      // HEAD is GET without a body (RFC 9110 §9.3.2) unless the contract declares it apart.
      const get = methods.get("GET");
      if (get && !methods.has("HEAD")) methods.set("HEAD", get);
      const allow = [...new Set([...methods.keys(), "OPTIONS"])].sort().join(", ");
      const operations = new Map<string, CompiledRoute>();
      for (const [method, route] of methods) operations.set(method, { ...route, allow });
      const routes = new Map(operations);
      if (!routes.has("OPTIONS")) routes.set("OPTIONS", systemRoute("options", api.id, basePath, allow, operations));
      const notAllowed = systemRoute("method-not-allowed", api.id, basePath, allow, null);
      for (const method of HTTP_METHODS) if (!routes.has(method)) routes.set(method, notAllowed);
      this.router.on("GET", pattern, noop, routes);
      yield;
    }
  }

  private upstreamFor(api: Api, options: SnapshotOptions): Upstream | null {
    let config: UpstreamConfig = api.upstream;
    if (config.mock || options.mockApis?.has(api.id)) {
      if (options.mockUpstreamUrl === undefined) return null;
      // One mock server for every API: the id in the path tells it which contract to answer from.
      config = { ...config, targets: [{ url: `${options.mockUpstreamUrl.replace(/\/+$/, "")}/${api.id}`, weight: 1 }], failover: [], healthCheck: null };
    }
    const upstream = new Upstream(config, options.pools, null);
    this.upstreams.push(upstream);
    return upstream;
  }
}

function compileOperationRoute(
  api: Api,
  operation: Operation,
  basePath: string,
  upstream: Upstream | null,
  handlers: ReadonlyMap<string, PolicyHandler>,
  instances: ReadonlyMap<string, PolicyInstance>,
  options: SnapshotOptions,
): CompiledRoute {
  const access: Step[] = [];
  const limit: Step[] = [];
  const request: Step[] = [];
  const response: ResponseStep[] = [];
  const responseBody: ResponseBodyStep[] = [];
  const log: LogStep[] = [];
  const byPlan = new Map<string, { limit: Step[]; request: Step[]; response: ResponseStep[]; responseBody: ResponseBodyStep[] }>();
  let proxy: CompiledRoute["proxy"] = null;
  let maxBufferedBodyBytes = DEFAULT_MAX_BUFFERED_BODY_BYTES;
  /** Where the authentication gate goes: right after the last authentication policy. */
  let gateAt = -1;
  const authentication: string[] = [];
  for (const id of operation.policies) {
    const instance = instances.get(id)!;
    const handler = handlers.get(id)!;
    if (instance.policy === "requestSizeLimit") maxBufferedBodyBytes = (instance.config as { maxBodyBytes: number }).maxBodyBytes;
    if (instance.when !== null) {
      const key = `${instance.when.product}/${instance.when.plan}`;
      const steps = byPlan.get(key) ?? { limit: [], request: [], response: [], responseBody: [] };
      byPlan.set(key, steps);
      if (handler.access) throw new Error(`${instance.id}: a plan policy cannot act in the access phase`);
      if (handler.limit) steps.limit.push(handler.limit.bind(handler));
      if (handler.request) steps.request.push(handler.request.bind(handler));
      if (handler.response) steps.response.push(handler.response.bind(handler));
      if (handler.responseBody) steps.responseBody.push(handler.responseBody.bind(handler));
      if (handler.log) log.push(handler.log.bind(handler));
      continue;
    }
    if (handler.access) access.push(handler.access.bind(handler));
    if (AUTHENTICATION_POLICY_NAMES.has(instance.policy)) {
      gateAt = access.length;
      authentication.push(instance.policy);
    }
    if (handler.limit) limit.push(handler.limit.bind(handler));
    if (handler.request) request.push(handler.request.bind(handler));
    if (handler.proxy) {
      if (proxy !== null) throw new Error(`${operation.operationId}: two policies act in the proxy phase`);
      proxy = handler.proxy.bind(handler);
    }
    if (handler.response) response.push(handler.response.bind(handler));
    if (handler.responseBody) responseBody.push(handler.responseBody.bind(handler));
    if (handler.log) log.push(handler.log.bind(handler));
  }
  if (gateAt >= 0) access.splice(gateAt, 0, authenticationGate(api.id, operation, authentication.slice()));
  if (options.usage) log.push(options.usage.record);
  return {
    kind: "operation",
    apiId: api.id,
    operationId: operation.operationId,
    operation,
    basePath,
    allow: "",
    byMethod: null,
    access: ownListOrShared(access),
    limit: ownListOrShared(limit),
    request: ownListOrShared(request),
    response: ownListOrShared(response),
    responseBody: ownListOrShared(responseBody),
    log: ownListOrShared(log),
    proxy,
    byPlan: byPlan.size === 0 ? NO_PLANS : (byPlan as ReadonlyMap<string, PlanSteps>),
    upstream,
    forwardsEncodedSlashes: api.upstream.encodedSlashes === "forward",
    maxBufferedBodyBytes,
    paramNames: paramNames(operation.route),
    recorder: options.metrics.routeRecorder(api.id, operation.operationId),
  };
}

/**
 * `/orders/{orderId}` → `/orders/:p0`: parameters of any spelling become safe router names;
 * `paramNames` maps them back.
 */
function routePattern(template: string): string {
  let index = 0;
  return template.replace(/\{[^}]+\}/g, () => `:p${index++}`);
}

/** Names of a path template's parameters, in order (the shared empty list when it has none). */
function paramNames(template: string): readonly string[] {
  const names = [...template.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!);
  return names.length === 0 ? EMPTY_LIST : names;
}

/**
 * A route's list at its own length (an array grown by push keeps room for 17), or the shared
 * empty one (`EMPTY_LIST`) when it has nothing.
 */
function ownListOrShared<T>(list: readonly T[]): readonly T[] {
  return list.length === 0 ? EMPTY_LIST : list.slice();
}

function noop(): void {}
