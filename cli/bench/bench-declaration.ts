/**
 * The Turnpike declarations of the gateway benchmark: one API on a generated contract (10 or
 * 1,000 operations, see large-contract.ts) in front of the benchmark upstream, either with no
 * policy at all or with the full chain (API key + a rate limit far above the load). Metrics
 * are always on in the gateway; the access log is a gateway flag, not part of the declaration.
 */
import { randomBytes } from "node:crypto";
import { Api, Consumer, Credential, type GatewayConfig, OpenApi, Plan, Platform, Product, Secret, apiKey, compileManifest, rateLimit } from "../../constructs/index";
import { largeContract } from "./large-contract";

/** The environment variable the benchmark consumer's key is read from (`Secret.fromEnv`). */
export const BENCH_KEY_ENV = "TURNPIKE_BENCH_API_KEY";
/** Header the key is sent in (the contract's `ApiKeyAuth` scheme). */
export const BENCH_KEY_HEADER = "X-API-Key";
/** Base path of the benchmark API on the gateway; the peers route the same prefix. */
export const BENCH_BASE_PATH = "/bench";
/** Rate limit of the full chain: far above any load here, so nothing is rejected. */
export const BENCH_RATE_LIMIT = 10_000_000;

/** A key for this run (any value works: the gateway reads it from the environment). */
export function benchApiKey(): string {
  return `bench-${randomBytes(16).toString("hex")}`;
}

export interface BenchDeclarationOptions {
  /** Resources of the generated contract; 5 operations each (2 → 10 routes, 200 → 1,000). */
  readonly resources: number;
  /** "none": no policy (and no security in the contract); "full": apiKey + rateLimit. */
  readonly policies: "none" | "full";
  readonly upstreamUrl: string;
  readonly rootDir: string;
  /** Requests per second of the full chain's rate limit. @default BENCH_RATE_LIMIT (nothing is rejected) */
  readonly rateLimit?: number;
  /** Declares the upstream's circuit breaker (its defaults: 5 failures open it for 30 s). @default false */
  readonly circuitBreaker?: boolean;
}

export interface BenchDeclaration {
  readonly platform: Platform;
  readonly operations: number;
  /** Path of the request sent: `GET <base path>/resources-<middle>/<id>`, a route in the middle of the table. */
  readonly path: string;
  readonly operationId: string;
}

export function benchDeclaration(options: BenchDeclarationOptions): BenchDeclaration {
  const contract = largeContract(options.resources);
  if (options.policies === "none") {
    delete contract.security;
    delete (contract.components as Record<string, unknown>).securitySchemes;
  }
  const platform = new Platform("bench", { rootDir: options.rootDir });
  const api = new Api(platform, "bench", {
    version: "1.0.0",
    basePath: BENCH_BASE_PATH,
    contract: OpenApi.fromDocument(contract),
    upstream: { targets: [{ url: options.upstreamUrl }], ...(options.circuitBreaker ? { circuitBreaker: {} } : {}) },
    policies: options.policies === "full" ? [apiKey(), rateLimit({ requests: options.rateLimit ?? BENCH_RATE_LIMIT, perSeconds: 1 })] : [],
  });
  if (options.policies === "full") {
    const plan = new Plan(platform, "unlimited");
    const product = new Product(platform, "benchmark", { apis: [api], plans: [plan] });
    new Consumer(platform, "load-generator", { subscriptions: [{ product, plan }], credentials: [Credential.apiKey({ secret: Secret.fromEnv(BENCH_KEY_ENV) })] });
  }
  const middle = Math.floor(options.resources / 2);
  return { platform, operations: options.resources * 5, path: `${BENCH_BASE_PATH}/resources-${middle}/bench-1`, operationId: `getResource${middle}` };
}

/** Compiles a benchmark declaration; throws with the diagnostics when it does not compile. */
export async function benchManifest(options: BenchDeclarationOptions): Promise<BenchDeclaration & { manifest: GatewayConfig; json: string }> {
  const declaration = benchDeclaration(options);
  const result = await compileManifest(declaration.platform);
  if (!result.manifest || !result.json) {
    const errors = result.diagnostics.filter((diagnostic) => diagnostic.severity === "error");
    throw new Error(`the benchmark declaration (${options.policies}, ${declaration.operations} operations) does not compile:\n${JSON.stringify(errors.slice(0, 5), null, 2)}`);
  }
  const api = result.manifest.spec.apis[0]!;
  const operation = api.operations.find((candidate) => candidate.operationId === declaration.operationId);
  if (!operation) throw new Error(`the benchmark manifest has no operation ${declaration.operationId}`);
  const chain = new Set(operation.policies);
  const policies: string[] = result.manifest.spec.policies.filter((instance) => chain.has(instance.id)).map((instance) => instance.policy);
  const expected = options.policies === "full" ? ["apiKey", "rateLimit"] : [];
  if (expected.some((name) => !policies.includes(name)) || (options.policies === "none" && policies.length > 0)) {
    throw new Error(`the benchmark route ${declaration.operationId} has the chain [${policies.join(", ")}], expected [${expected.join(", ")}]`);
  }
  return { ...declaration, manifest: result.manifest, json: result.json };
}
