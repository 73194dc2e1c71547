/**
 * The contract between the gateway core and a policy's runtime (`policies/<name>/handler.ts`),
 * Kong-PDK style: a handler implements only the phases it needs. The core knows phases, not
 * policies. Handlers are created once per policy instance when a manifest is loaded; the
 * per-request work is a call to a prebuilt function.
 */
import type { Logger } from "pino";
import type { IssuedKeyLookup } from "../control/gateway/issued-keys";
import type { GatewayConfig, PolicyInstance } from "../../../constructs/manifest/schema";
import type { Reply } from "../http/problem";
import type { BodyRewrite } from "../http/body-rewrite";
import type { Exchange, HeaderMap } from "../http/exchange";
import type { ConsumerDirectory } from "../identity/consumer-directory";
import type { GatewayMetrics } from "../observability/metrics";
import type { Store } from "../store/store";
import type { ResponseSink } from "../upstream/upstream";

/** `undefined`: go on; a Reply: answer with it and stop the chain. */
export type StepResult = Reply | undefined | Promise<Reply | undefined>;

export interface PolicyHandler {
  /** Before anything reaches the upstream: filtering, authentication, validation. */
  access?(exchange: Exchange): StepResult;
  /** Rate limits and quotas, once the consumer (and so the plan) is known. */
  limit?(exchange: Exchange): StepResult;
  /** Changes to the upstream request (`exchange.upstreamHeaders`, `upstreamPath`, `upstreamQuery`). */
  request?(exchange: Exchange): StepResult;
  /**
   * Around the upstream call: a cache answers into `sink` from its store, or calls `forward`
   * with a sink that keeps a copy. At most one per route.
   */
  proxy?(exchange: Exchange, sink: ResponseSink, forward: (sink: ResponseSink) => Promise<void>): Promise<void>;
  /**
   * Before response headers are sent, for upstream answers and the gateway's own alike:
   * add or change headers. Synchronous: the response is waiting.
   */
  response?(exchange: Exchange, status: number, headers: Record<string, string | string[] | undefined>): void;
  /**
   * For upstream (and cached) answers only, after `response`: a rewrite of the whole body,
   * or undefined to let it stream as it comes (`http/body-rewrite.ts`). Part of the response
   * phase. Synchronous: the response is waiting.
   */
  responseBody?(exchange: Exchange, status: number, headers: HeaderMap): BodyRewrite | undefined;
  /** After the response: metrics, logs, accounting. */
  log?(exchange: Exchange): void;
  /** Releases what the handler holds (timers, connections) when its manifest is replaced. */
  close?(): void | Promise<void>;
}

/** What a handler may use besides its configuration. */
export interface HandlerContext {
  readonly instance: PolicyInstance;
  /** The manifest being loaded: its contracts, and the operations whose chains list `instance`. */
  readonly manifest: GatewayConfig;
  readonly store: Store;
  readonly consumers: ConsumerDirectory;
  /** API keys the control plane issued; absent when the gateway runs without a control store. */
  readonly issuedKeys?: IssuedKeyLookup;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
}

export type HandlerFactory<C> = (config: C, context: HandlerContext) => PolicyHandler;
