/**
 * The request pipeline: route → access → (consumer's plan) → limit → request → proxy →
 * response → log. Steps run synchronously until one returns a promise, so a chain of
 * in-memory policies costs no microtask per step.
 */
import type { GatewayRequest, GatewayResponse } from "./server/message-types";
import type { Logger } from "pino";
import { type CompiledRoute, NO_PLAN_STEPS, systemRoute, type PlanSteps, type ResponseStep, type Step } from "../config/compiled-route";
import { type BodyRewrite, BodyRewriteError, decodeContentCoding, rewrittenHeaders } from "./body-rewrite";
import type { PathRoutes, Snapshot } from "../config/compile-snapshot";
import type { AccessLog } from "../observability/access-log";
import type { Tracer } from "../observability/tracing/tracer";
import type { GatewayMetrics } from "../observability/metrics";
import { type ResponseSink, UpstreamError } from "../upstream/upstream";
import { BodyTooLargeError, Exchange, type HeaderMap, copyHeaders } from "./exchange";
import { cleanResponseHeaders, requestIdOf, requestOrigin, upstreamRequestHeaders } from "./forwarding";
import { type Reply, emptyReply, problem } from "./problem";
import { TARGET_ENCODED_SLASH, TARGET_UNUSUAL, normalizeTarget, targetShape } from "./request-target";
import { ServerResponse } from "./server/server-response";

export interface PipelineContext {
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  /** Where access lines go; null: none. */
  readonly accessLog: AccessLog | null;
  /** The gateway's spans (OpenTelemetry); null: tracing off. */
  readonly tracer: Tracer | null;
}

/** Handles one request against the snapshot current when it arrived. */
export async function handleRequest(snapshot: Snapshot, req: GatewayRequest, res: GatewayResponse, context: PipelineContext): Promise<void> {
  let url = req.url ?? "/";
  const requestId = requestIdOf(req, snapshot.requestIdHeader);
  const origin = requestOrigin(req, snapshot.trustedProxies);
  const clientIp = origin.client;
  const shape = targetShape(url);
  let encodedSlash = (shape & TARGET_ENCODED_SLASH) !== 0;
  if ((shape & TARGET_UNUSUAL) !== 0) {
    const target = normalizeTarget(url);
    // An absolute-form target's host must be the Host header's (RFC 9112 §3.2), which everything else reads.
    if ("refused" in target || (target.authority !== undefined && target.authority.toLowerCase() !== (req.headers.host ?? "").toLowerCase())) {
      const detail = "refused" in target ? target.refused : "the request target is an absolute URL whose host is not the Host header's";
      finishWithReply(new Exchange(req, res, NOT_FOUND_ROUTE, {}, requestId, clientIp, url), snapshot, problem("bad-request", detail), NO_PLAN_STEPS, context);
      return;
    }
    url = target.url;
    encodedSlash = target.encodedSlash;
  }
  const found = snapshot.router.find("GET", url);
  let route = found === null ? undefined : (found.store as PathRoutes).get(req.method ?? "GET");
  if (found === null || route === undefined) {
    const exchange = new Exchange(req, res, NOT_FOUND_ROUTE, {}, requestId, clientIp, url);
    finishWithReply(exchange, snapshot, problem("not-found", `no API serves ${req.method} ${url.split("?")[0]}`), NO_PLAN_STEPS, context);
    return;
  }
  if (encodedSlash && route.kind === "operation" && !route.forwardsEncodedSlashes) {
    const detail = "the path has a percent-encoded slash or backslash (%2F, %5C), which upstreams read in different ways; this API's upstream does not accept them (upstream.encodedSlashes)";
    // None of the operation's policies ran, so none of its response or log steps run either.
    const refusedRoute = systemRoute("method-not-allowed", route.apiId, route.basePath, route.allow, null);
    finishWithReply(new Exchange(req, res, refusedRoute, {}, requestId, clientIp, url), snapshot, problem("bad-request", detail), NO_PLAN_STEPS, context);
    return;
  }
  const params: Record<string, string | undefined> = {};
  for (let index = 0; index < route.paramNames.length; index++) params[route.paramNames[index]!] = found.params[`p${index}`];

  if (route.kind !== "operation") {
    const preflightMethod = route.kind === "options" && req.headers.origin !== undefined ? req.headers["access-control-request-method"] : undefined;
    const target = typeof preflightMethod === "string" ? route.byMethod?.get(preflightMethod.toUpperCase()) : undefined;
    if (target === undefined) {
      const exchange = new Exchange(req, res, route, params, requestId, clientIp, url);
      const reply = route.kind === "options" ? emptyReply(204, { allow: route.allow }) : problem("method-not-allowed", `${req.method} is not an operation of this path`, { headers: { allow: route.allow } });
      finishWithReply(exchange, snapshot, reply, NO_PLAN_STEPS, context);
      return;
    }
    // A CORS preflight runs the access phase of the operation it asks about; the cors policy answers it.
    route = target;
    const exchange = new Exchange(req, res, route, params, requestId, clientIp, url);
    let reply = runSteps(exchange, route.access, 0);
    if (reply instanceof Promise) reply = await reply.catch((error: unknown) => failure(exchange, error, context));
    finishWithReply(exchange, snapshot, reply ?? emptyReply(204, { allow: route.allow }), NO_PLAN_STEPS, context);
    return;
  }

  const exchange = new Exchange(req, res, route, params, requestId, clientIp, url);
  let plan: PlanSteps = NO_PLAN_STEPS;
  try {
    let reply = runSteps(exchange, route.access, 0);
    if (reply instanceof Promise) reply = await reply;
    if (reply === undefined) {
      const consumer = exchange.consumer;
      if (consumer !== null) {
        exchange.subscription = consumer.subscriptions.get(route.apiId!) ?? null;
        if (exchange.subscription !== null) plan = route.byPlan.get(exchange.subscription.key) ?? NO_PLAN_STEPS;
      }
      reply = runSteps(exchange, route.limit, 0);
      if (reply instanceof Promise) reply = await reply;
      if (reply === undefined && plan.limit.length > 0) {
        reply = runSteps(exchange, plan.limit, 0);
        if (reply instanceof Promise) reply = await reply;
      }
    }
    if (reply === undefined) {
      const queryAt = url.indexOf("?");
      exchange.upstreamPath = (queryAt < 0 ? url : url.slice(0, queryAt)).slice(route.basePath.length);
      exchange.upstreamHeaders = upstreamRequestHeaders(req, origin, { requestIdHeader: snapshot.requestIdHeader, requestId, span: context.tracer?.spanOf(exchange) ?? null });
      reply = runSteps(exchange, route.request, 0);
      if (reply instanceof Promise) reply = await reply;
      if (reply === undefined && plan.request.length > 0) {
        reply = runSteps(exchange, plan.request, 0);
        if (reply instanceof Promise) reply = await reply;
      }
    }
    if (reply !== undefined) {
      finishWithReply(exchange, snapshot, reply, plan, context);
      return;
    }
    const upstream = route.upstream;
    if (upstream === null) {
      finishWithReply(exchange, snapshot, problem("service-unavailable", "this API is declared with a mock upstream, which this gateway does not serve"), plan, context);
      return;
    }
    const body = exchange.body ?? (hasBody(req) ? req : null);
    const sink = new ClientSink(exchange, snapshot.requestIdHeader, plan);
    if (route.proxy !== null) await route.proxy(exchange, sink, (next) => upstream.forward(exchange, body, next));
    else await upstream.forward(exchange, body, sink);
    finishLogging(exchange, context);
  } catch (error) {
    if (res.headersSent) {
      // The answer was under way: cut it off rather than send a mixed response.
      exchange.failure ??= error instanceof Error ? error.message : String(error);
      res.destroy();
      finishLogging(exchange, context);
      return;
    }
    finishWithReply(exchange, snapshot, failure(exchange, error, context), plan, context);
  }
}

/**
 * Runs steps from `index` until one answers. Synchronous while the steps are; continues on
 * a promise only when a step returns one.
 */
export function runSteps(exchange: Exchange, steps: readonly Step[], index: number): Reply | undefined | Promise<Reply | undefined> {
  for (let i = index; i < steps.length; i++) {
    const result = steps[i]!(exchange);
    if (result === undefined) continue;
    if (result instanceof Promise) return result.then((reply) => (reply !== undefined ? reply : runSteps(exchange, steps, i + 1)));
    return result;
  }
  return undefined;
}

/** The problem to answer with for an exception thrown on the way. */
function failure(exchange: Exchange, error: unknown, context: PipelineContext): Reply {
  if (error instanceof UpstreamError) {
    exchange.failure = error.message;
    context.metrics.upstreamFailures.labels(exchange.route.apiId ?? "", error.kind).inc();
    switch (error.kind) {
      case "timeout":
        return problem("gateway-timeout", "the upstream did not answer in time");
      case "no-target":
        return problem("service-unavailable", "no healthy upstream is available", { headers: { "retry-after": "1" } });
      case "client-aborted":
        return problem("bad-request", "the request body ended before its declared length");
      default:
        return problem("bad-gateway", "the upstream could not be reached or closed the connection");
    }
  }
  if (error instanceof BodyTooLargeError) {
    exchange.failure = error.message;
    return problem("payload-too-large", `the request body is larger than ${error.maxBytes} bytes`);
  }
  exchange.failure = error instanceof Error ? error.message : String(error);
  context.logger.error({ err: error, requestId: exchange.requestId }, "unexpected error while handling a request");
  return problem("internal-error", `the gateway failed to handle the request (request id ${exchange.requestId})`);
}

/** Sends a gateway-made answer, with the response phase's headers, and logs it. */
function finishWithReply(exchange: Exchange, snapshot: Snapshot, reply: Reply, plan: PlanSteps, context: PipelineContext): void {
  const res = exchange.res;
  if (res.headersSent || res.destroyed) {
    finishLogging(exchange, context);
    return;
  }
  if (reply.kind !== undefined) context.metrics.rejections.labels(exchange.route.apiId ?? "none", reply.kind).inc();
  writeReply(exchange, reply, plan.response, snapshot.requestIdHeader);
  finishLogging(exchange, context);
}

/** Writes a gateway-made answer with the response phase's headers, the request id and its length. */
function writeReply(exchange: Exchange, reply: Reply, planSteps: readonly ResponseStep[], requestIdHeader: string): void {
  const headers = copyHeaders(reply.headers);
  runResponseSteps(exchange, reply.status, headers, planSteps);
  headers[requestIdHeader] = exchange.requestId;
  headers["content-length"] = String(Buffer.byteLength(reply.body));
  exchange.status = reply.status;
  exchange.res.writeHead(reply.status, headers as Record<string, string | string[]>);
  exchange.res.end(reply.body);
}

function runResponseSteps(exchange: Exchange, status: number, headers: HeaderMap, planSteps: readonly ResponseStep[]): void {
  const steps = exchange.route.response;
  for (let i = 0; i < steps.length; i++) steps[i]!(exchange, status, headers);
  for (let i = 0; i < planSteps.length; i++) planSteps[i]!(exchange, status, headers);
  const added = exchange.responseHeaders;
  for (const name in added) headers[name] = added[name];
}

function finishLogging(exchange: Exchange, context: PipelineContext): void {
  const steps = exchange.route.log;
  for (let i = 0; i < steps.length; i++) steps[i]!(exchange);
  // One reading of the clock: the metric and the access line report the same duration.
  const elapsedMs = exchange.elapsedMs();
  exchange.route.recorder?.record(exchange.status || 499, exchange.subscription?.plan ?? null, elapsedMs / 1000);
  context.accessLog?.write(exchange, elapsedMs);
  context.tracer?.end(exchange, elapsedMs);
}

function hasBody(req: GatewayRequest): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

/**
 * Writes an upstream (or cached) answer to the client, with the response phase's headers.
 * When a policy rewrites the body, the answer is held back until it has all arrived
 * (`body-rewrite.ts`).
 */
export class ClientSink implements ResponseSink {
  /** The answer held back for a body rewrite; null while it streams. */
  private held: HeldAnswer | null = null;

  constructor(
    private readonly exchange: Exchange,
    private readonly requestIdHeader: string,
    private readonly plan: PlanSteps,
  ) {}

  head(status: number, headers: HeaderMap): void {
    cleanResponseHeaders(headers);
    const exchange = this.exchange;
    runResponseSteps(exchange, status, headers, this.plan.response);
    headers[this.requestIdHeader] = exchange.requestId;
    if (exchange.cacheStatus !== null) headers["x-cache"] = exchange.cacheStatus.toUpperCase();
    if (exchange.route.responseBody.length > 0 || this.plan.responseBody.length > 0) {
      const rewrites = bodyRewrites(exchange, status, headers, this.plan);
      if (rewrites !== null) {
        // A HEAD, 204 or 304 answer has no body to rewrite, but describes the one a GET would get.
        if (exchange.req.method === "HEAD" || status === 204 || status === 304) rewrittenHeaders(headers, null);
        else {
          this.held = { status, headers, rewrites, chunks: [], size: 0, limit: Math.min(...rewrites.map((rewrite) => rewrite.maxBytes)) };
          return;
        }
      }
    }
    this.writeHead(status, headers);
  }

  data(chunk: Buffer): boolean {
    const held = this.held;
    if (held === null) return this.exchange.res.write(chunk);
    held.size += chunk.length;
    // Past the limit the rest is read and dropped (the answer will be a 502), so memory stays bounded.
    if (held.size <= held.limit) held.chunks.push(chunk);
    else held.chunks.length = 0;
    return true;
  }

  end(): void {
    const held = this.held;
    if (held === null) {
      this.exchange.res.end();
      return;
    }
    this.held = null;
    let body: Buffer;
    try {
      if (held.size > held.limit) throw new BodyRewriteError(`the upstream's answer is larger than ${held.limit} bytes, the most this operation's policies rewrite`);
      body = decodeContentCoding(Buffer.concat(held.chunks, held.size), held.headers["content-encoding"], held.limit);
      for (const rewrite of held.rewrites) body = rewrite.rewrite(body);
    } catch (error) {
      // Whatever went wrong, the body is not sent as it came; a fault of the gateway's own is logged as such.
      if (!(error instanceof BodyRewriteError)) this.exchange.failure = `body rewrite failed: ${error instanceof Error ? error.message : String(error)}`;
      this.refuse(error instanceof BodyRewriteError ? error.message : "the gateway failed to apply this operation's policies to the upstream's answer");
      return;
    }
    rewrittenHeaders(held.headers, body.length);
    this.writeHead(held.status, held.headers);
    this.exchange.res.end(body);
  }

  onDrain(resume: () => void): void {
    const res = this.exchange.res;
    const onDrain = () => {
      res.off("close", onDrain);
      resume();
    };
    res.once("drain", onDrain);
    // If the client goes away instead, resume so the producer sees `closed` and stops.
    res.once("close", onDrain);
  }

  get closed(): boolean {
    const res = this.exchange.res;
    return res.destroyed || res.socket === null || res.socket.destroyed;
  }

  abort(error: Error): void {
    this.exchange.failure = error.message;
    if (this.held !== null) {
      // Nothing was sent yet: the client can still get a proper answer.
      this.held = null;
      this.refuse("the upstream closed the connection before its answer was complete");
      return;
    }
    this.exchange.res.destroy(error);
  }

  private writeHead(status: number, headers: HeaderMap): void {
    this.exchange.status = status;
    const res = this.exchange.res;
    // node:http's writeHead throws on an undefined value; the native server's skips it.
    if (!(res instanceof ServerResponse)) for (const name in headers) if (headers[name] === undefined) delete headers[name];
    res.writeHead(status, headers as Record<string, string | string[]>);
  }

  /** Answers 502 instead of an answer whose body could not be rewritten: it is never sent as it came. */
  private refuse(detail: string): void {
    const exchange = this.exchange;
    exchange.failure ??= detail;
    writeReply(exchange, problem("unrewritable-response", detail), this.plan.response, this.requestIdHeader);
  }
}

interface HeldAnswer {
  readonly status: number;
  readonly headers: HeaderMap;
  readonly rewrites: readonly BodyRewrite[];
  readonly chunks: Buffer[];
  size: number;
  /** The smallest of the rewrites' `maxBytes`. */
  readonly limit: number;
}

/** The body rewrites the operation's and the plan's policies ask for, in order; null when none. */
function bodyRewrites(exchange: Exchange, status: number, headers: HeaderMap, plan: PlanSteps): BodyRewrite[] | null {
  let rewrites: BodyRewrite[] | null = null;
  for (const steps of [exchange.route.responseBody, plan.responseBody]) {
    for (let i = 0; i < steps.length; i++) {
      const rewrite = steps[i]!(exchange, status, headers);
      if (rewrite !== undefined) (rewrites ??= []).push(rewrite);
    }
  }
  return rewrites;
}

/** The route of requests no API serves. */
const NOT_FOUND_ROUTE: CompiledRoute = systemRoute("method-not-allowed", null, "", "", null);
