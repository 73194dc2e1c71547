/**
 * Route definitions of the control API: method, path template, operationId, the zod schemas of
 * the query string and body, and the handler. The route tables are plain data, so the OpenAPI
 * test can compare them with the document, and the same pipeline parses every route's input.
 */
import type { GatewayRequest } from "../../http/server/message-types";
import type { z } from "zod";
import type { Logger } from "pino";
import type { GatewayConfig } from "../../../../constructs/manifest/schema";
import type { ControlStore } from "../control-store";
import type { Reply } from "../../http/problem";
import { readJsonBody } from "./json-io";
import { parseInput, queryRecord } from "./validation";

export type HttpMethod = "GET" | "POST" | "PATCH" | "DELETE";

/** What the admin and portal handlers are given, from {@link ControlApiOptions}. */
export interface ControlDeps {
  readonly store: ControlStore;
  readonly manifest: () => GatewayConfig;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly quotaRemaining?: (consumerName: string, apiId: string) => Promise<{ limit: number; remaining: number; resetsAt: string } | null>;
}

/** A request's parsed input. */
export interface RouteInput<B, Q> {
  /** Path parameters, decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly body: B;
  readonly query: Q;
}

/**
 * One route. `C` is what the API's authentication gives the handler (e.g. the admin
 * principal); `M` what the API needs to know before running it (e.g. the roles allowed).
 */
export interface RouteDefinition<C, M, B = undefined, Q = undefined> {
  readonly method: HttpMethod;
  /** OpenAPI path template relative to the API's base, e.g. `/apps/{appId}`. */
  readonly path: string;
  readonly operationId: string;
  readonly meta: M;
  /** Query schema; without one, the query string is ignored. */
  readonly query?: z.ZodType<Q>;
  /** Body schema; a missing body is validated as `{}`. Without one, the body is not read. */
  readonly body?: z.ZodType<B>;
  // Method syntax on purpose: routes of different input types go into one table.
  handle(context: C, input: RouteInput<B, Q>): Promise<Reply>;
}

export type Route<C, M> = RouteDefinition<C, M, unknown, unknown>;

/** Infers a route's input types from its schemas and erases them for the table. */
export function defineRoute<C, M, B = undefined, Q = undefined>(definition: RouteDefinition<C, M, B, Q>): Route<C, M> {
  return definition as unknown as Route<C, M>;
}

/** A route ready to serve: authentication done inside `run`. */
export interface MountedRoute {
  readonly method: HttpMethod;
  /** Full path template, e.g. `/_turnpike/admin/v1/apps/{appId}`. */
  readonly path: string;
  run(req: GatewayRequest, params: Readonly<Record<string, string>>, search: URLSearchParams): Promise<Reply>;
}

/** Parses the query string, then the body (in that order: a bad query is found without reading the body), and runs the handler. */
export async function runRoute<C, M>(route: Route<C, M>, context: C, req: GatewayRequest, params: Readonly<Record<string, string>>, search: URLSearchParams): Promise<Reply> {
  const query = route.query === undefined ? undefined : parseInput(route.query, queryRecord(search), "query");
  const body = route.body === undefined ? undefined : parseInput(route.body, (await readJsonBody(req)) ?? {}, "body");
  return route.handle(context, { params, body, query });
}
