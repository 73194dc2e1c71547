/**
 * The load test of one API, as data: the requests (one per operation its SLOs cover, filled in
 * from the contract's examples), how often each is sent, the credentials each needs, the
 * profiles and the SLO thresholds. The k6 script and `turnpike slo run` are both built from
 * this model, so they send the same requests and judge them by the same numbers.
 *
 * Weights: an operation's `x-turnpike-load-weight` in the contract (a whole number 0–1000;
 * 0 leaves it out), else 1, so operations are sent evenly.
 */
import type { Api, GatewayConfig, Operation, Slo } from "../../constructs/manifest/schema";
import { asObject, resolve, type Json } from "../../cli/dev/mock/refs";
import { latencyObjectives } from "../../constructs/targets/observability/slo-math";
import { parameterExample, requestBodyExample } from "./contract-examples";
import { type ArrivalRateScenario, DEFAULT_TARGET_RPS, PROFILE_NAMES, type ProfileName, profileScenario } from "./profiles";
import { type SloThreshold, sloThresholds } from "./slo-thresholds";

/** The contract extension declaring an operation's share of the load. */
export const WEIGHT_EXTENSION = "x-turnpike-load-weight";

/** How a request authenticates; the secret itself comes from the environment at run time. */
export type Credential =
  /** `TURNPIKE_API_KEY` in a header or query parameter. */
  | { readonly kind: "apiKey"; readonly in: "header" | "query"; readonly name: string }
  /** `TURNPIKE_TOKEN` as `Bearer <token>` in a header. */
  | { readonly kind: "bearer"; readonly header: string };

/** Statuses a request expects, inclusive; also k6's `http.expectedStatuses` argument. */
export interface StatusRange {
  readonly min: number;
  readonly max: number;
}

export interface ScenarioRequest {
  readonly operationId: string;
  readonly method: string;
  /** The route template, e.g. `/orders/v2/orders/{orderId}`: the `name` tag, so metrics group per route, not per URL. */
  readonly name: string;
  /** Path and query with example values, e.g. `/orders/v2/orders/ord_5kQx?limit=20`. */
  readonly path: string;
  /** Headers with example values (required header parameters, `content-type` of the body). */
  readonly headers: Record<string, string>;
  readonly body: string | null;
  readonly credentials: Credential[];
  readonly expectedStatuses: StatusRange[];
  readonly weight: number;
}

export interface LoadTestModel {
  readonly api: string;
  readonly title: string;
  /** The API's declared throughput (largest over its SLOs), else {@link DEFAULT_TARGET_RPS}; requests per second. */
  readonly targetRps: number;
  readonly requests: ScenarioRequest[];
  /** Indices into `requests`: one cycle of the weighted round robin, interleaved. */
  readonly schedule: number[];
  readonly profiles: Record<ProfileName, ArrivalRateScenario>;
  readonly thresholds: SloThreshold[];
}

export class ScenarioError extends Error {}

/** The APIs with at least one SLO, in manifest order. */
export function apisWithSlos(manifest: GatewayConfig): Api[] {
  const ids = new Set(manifest.spec.slos.map((slo) => slo.api));
  return manifest.spec.apis.filter((api) => ids.has(api.id));
}

/** The model of `apiId`'s load test; throws a {@link ScenarioError} naming what is wrong. */
export function loadTestModel(manifest: GatewayConfig, apiId: string): LoadTestModel {
  const api = manifest.spec.apis.find((candidate) => candidate.id === apiId);
  if (!api) throw new ScenarioError(`no API "${apiId}" in the manifest (APIs: ${manifest.spec.apis.map((entry) => entry.id).join(", ")})`);
  const slos = manifest.spec.slos.filter((slo) => slo.api === api.id);
  if (slos.length === 0) throw new ScenarioError(`API ${api.id} declares no SLO; a load test needs objectives to check (APIs with SLOs: ${apisWithSlos(manifest).map((entry) => entry.id).join(", ") || "none"})`);
  const covered = slos.some((slo) => slo.operations.length === 0) ? null : new Set(slos.flatMap((slo) => slo.operations));
  const policies = new Map(manifest.spec.policies.map((instance) => [instance.id, instance]));
  const requests = api.operations
    .filter((operation) => covered === null || covered.has(operation.operationId))
    .map((operation) => scenarioRequest(api, operation, credentialsOf(operation, policies)))
    .filter((request) => request.weight > 0);
  if (requests.length === 0) throw new ScenarioError(`API ${api.id}: every operation its SLOs cover has ${WEIGHT_EXTENSION}: 0; nothing to send`);
  const throughputs = slos.map((slo) => slo.throughputRps).filter((value): value is number => value !== null);
  const targetRps = throughputs.length > 0 ? Math.ceil(Math.max(...throughputs)) : DEFAULT_TARGET_RPS;
  const latencyBudgetMs = latencyBudget(slos);
  return {
    api: api.id,
    title: api.title,
    targetRps,
    requests,
    schedule: weightedSchedule(requests.map((request) => request.weight)),
    profiles: Object.fromEntries(PROFILE_NAMES.map((profile) => [profile, profileScenario(profile, targetRps, latencyBudgetMs)])) as Record<ProfileName, ArrivalRateScenario>,
    thresholds: sloThresholds(slos),
  };
}

/** The slowest latency objective, as the latency VUs are provisioned for; 1 s when none is declared. */
function latencyBudget(slos: readonly Slo[]): number {
  const objectives = slos.flatMap((slo) => latencyObjectives(slo).map((objective) => objective.objectiveMs));
  return objectives.length > 0 ? Math.max(...objectives) : 1000;
}

type PolicyLookup = ReadonlyMap<string, GatewayConfig["spec"]["policies"][number]>;

/** The credentials the operation's chain checks: an apiKey policy's location, a jwt policy's header. */
function credentialsOf(operation: Operation, policies: PolicyLookup): Credential[] {
  const credentials: Credential[] = [];
  for (const id of operation.policies) {
    const instance = policies.get(id);
    if (instance?.policy === "apiKey") {
      const config = instance.config as { in: "header" | "query"; name: string };
      credentials.push({ kind: "apiKey", in: config.in, name: config.name });
    } else if (instance?.policy === "jwt") {
      credentials.push({ kind: "bearer", header: (instance.config as { header: string }).header });
    }
  }
  return credentials;
}

function scenarioRequest(api: Api, operation: Operation, credentials: Credential[]): ScenarioRequest {
  const where = `${api.id} ${operation.operationId}`;
  let path = operation.route;
  const query = new URLSearchParams();
  const headers: Record<string, string> = {};
  for (const parameter of operation.parameters) {
    // The smallest valid request: required parameters only (path parameters always are).
    if (!parameter.required) continue;
    const value = parameterExample(api, operation, parameter.name, parameter.in);
    if (value === undefined || value === null) throw new ScenarioError(`${where}: no example or schema for the required ${parameter.in} parameter "${parameter.name}"`);
    const text = Array.isArray(value) ? value.map(String).join(",") : typeof value === "object" ? JSON.stringify(value) : String(value);
    if (parameter.in === "path") path = path.replace(`{${parameter.name}}`, encodeURIComponent(text));
    else if (parameter.in === "query") for (const item of Array.isArray(value) && parameter.explode ? value.map(String) : [text]) query.append(parameter.name, item);
    else if (parameter.in === "header") headers[parameter.name.toLowerCase()] = text;
    else headers.cookie = [headers.cookie, `${parameter.name}=${encodeURIComponent(text)}`].filter(Boolean).join("; ");
  }
  const example = requestBodyExample(api, operation);
  if (operation.requestBody?.required && example === null) throw new ScenarioError(`${where}: the request body is required but no media type has an example or a schema to sample`);
  if (example !== null) headers["content-type"] = example.contentType;
  const search = query.toString();
  return {
    operationId: operation.operationId,
    method: operation.method,
    name: operation.route,
    path: search === "" ? path : `${path}?${search}`,
    headers,
    body: example?.body ?? null,
    credentials,
    expectedStatuses: expectedStatuses(operation),
    weight: declaredWeight(api, operation),
  };
}

/** The documented 2xx and 3xx responses; any 2xx or 3xx when the contract documents none. */
function expectedStatuses(operation: Operation): StatusRange[] {
  const ranges: StatusRange[] = [];
  for (const { status } of operation.responses) {
    const range = /^([23])XX$/i.exec(status);
    if (range) ranges.push({ min: Number(range[1]) * 100, max: Number(range[1]) * 100 + 99 });
    else if (/^[23]\d\d$/.test(status)) ranges.push({ min: Number(status), max: Number(status) });
  }
  return ranges.length > 0 ? ranges.sort((a, b) => a.min - b.min) : [{ min: 200, max: 399 }];
}

function declaredWeight(api: Api, operation: Operation): number {
  const document = api.contract.document as Json;
  const declared = resolve(document, asObject(resolve(document, asObject(document.paths)[operation.path]))[operation.method.toLowerCase()])[WEIGHT_EXTENSION];
  if (declared === undefined) return 1;
  if (typeof declared !== "number" || !Number.isInteger(declared) || declared < 0 || declared > 1000) {
    throw new ScenarioError(`${api.id} ${operation.operationId}: ${WEIGHT_EXTENSION} is a whole number from 0 to 1000 (0 leaves the operation out), got ${JSON.stringify(declared)}`);
  }
  return declared;
}

/**
 * One cycle of a smooth weighted round robin (nginx's): weights reduced by their greatest
 * common divisor, each index as often as its weight, spread out rather than in runs, so any
 * stretch of the schedule is close to the declared mix.
 */
export function weightedSchedule(weights: readonly number[]): number[] {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const divisor = weights.reduce(gcd, 0) || 1;
  const reduced = weights.map((weight) => weight / divisor);
  const total = reduced.reduce((sum, weight) => sum + weight, 0);
  const current = reduced.map(() => 0);
  const schedule: number[] = [];
  for (let step = 0; step < total; step++) {
    let best = 0;
    for (let index = 0; index < reduced.length; index++) {
      current[index]! += reduced[index]!;
      if (current[index]! > current[best]!) best = index;
    }
    current[best]! -= total;
    schedule.push(best);
  }
  return schedule;
}
