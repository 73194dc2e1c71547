/**
 * Which route a request takes: a path's precedence over another that also matches, and the
 * gateway's own answers for the methods a path lacks (405, OPTIONS) or it does not route.
 * The gateway routes each path once whatever the method, so these are the same for every method.
 */
import fc from "fast-check";
import pino from "pino";
import { request } from "undici";
import { OpenApi } from "../../constructs/index";
import type { GatewayConfig, Operation } from "../../constructs/manifest/schema";
import { type PathRoutes, Snapshot } from "../../gateway-image/src/config/compile-snapshot";
import { GatewayMetrics } from "../../gateway-image/src/observability/metrics";
import { MemoryStore } from "../../gateway-image/src/store/memory-store";
import { PoolRegistry } from "../../gateway-image/src/upstream/pool-registry";
import { HTTP_METHODS } from "../../policies/common";
import { compileOk, itemsApi, itemsContract, testPlatform } from "../helpers/declaration";
import { type RunningGateway, startGateway } from "../helpers/gateway";
import { type TestUpstream, startUpstream } from "../helpers/upstream";

let upstream: TestUpstream;
let gateway: RunningGateway;
/** The declaration's manifest, whose API the property below gives other operations. */
let manifest: GatewayConfig;

beforeAll(async () => {
  upstream = await startUpstream((request, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ method: request.method, url: request.url }));
  });
  const platform = testPlatform();
  const contract = itemsContract((document) => {
    // Open operations: these tests are about routing, not keys.
    (document as { security: unknown[] }).security = [];
    // A concrete path beside the templated /items/{itemId}, with a method of its own only.
    (document as { paths: Record<string, unknown> }).paths["/items/special"] = {
      post: { operationId: "special", summary: "Special", responses: { "200": { description: "Done." } } },
    };
  });
  itemsApi(platform, "items", { contract: OpenApi.fromDocument(contract), policies: [], upstream: { targets: [{ url: upstream.url }], timeoutMs: 2_000 } });
  manifest = await compileOk(platform);
  gateway = await startGateway(platform);
});

afterAll(async () => {
  await gateway?.stop();
  await upstream?.close();
});

async function send(method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; allow: string | null; seen: { method: string; url: string } | null }> {
  // undici's request, not fetch: fetch refuses to send TRACE.
  const response = await request(`${gateway.url}/items/v1${path}`, { method, headers });
  const text = await response.body.text();
  const seen = response.headers["content-type"] === "application/json" && text !== "" ? (JSON.parse(text) as { method: string; url: string }) : null;
  const allow = response.headers.allow;
  return { status: response.statusCode, allow: typeof allow === "string" ? allow : null, seen };
}

describe("path precedence", () => {
  it("a concrete path before a templated one (as OpenAPI matches them), for the methods it lacks too", async () => {
    expect(await send("POST", "/items/special")).toMatchObject({ status: 200, seen: { method: "POST", url: "/items/special" } });
    // GET /items/{itemId} would match, but /items/special is the path: it has no GET.
    expect(await send("GET", "/items/special")).toMatchObject({ status: 405, allow: "OPTIONS, POST", seen: null });
    expect(await send("DELETE", "/items/special")).toMatchObject({ status: 405, allow: "OPTIONS, POST" });
    expect(await send("OPTIONS", "/items/special")).toMatchObject({ status: 204, allow: "OPTIONS, POST" });
  });

  it("the templated path for every other value", async () => {
    expect(await send("GET", "/items/42")).toMatchObject({ status: 200, seen: { method: "GET", url: "/items/42" } });
    expect(await send("DELETE", "/items/42")).toMatchObject({ status: 200, seen: { method: "DELETE", url: "/items/42" } });
    expect(await send("HEAD", "/items/42")).toMatchObject({ status: 200 });
    expect(upstream.requests.at(-1)).toMatchObject({ method: "HEAD", url: "/items/42" });
    expect(await send("POST", "/items/42")).toMatchObject({ status: 405, allow: "DELETE, GET, HEAD, OPTIONS" });
    expect(await send("PATCH", "/items/42")).toMatchObject({ status: 405, allow: "DELETE, GET, HEAD, OPTIONS" });
  });
});

describe("methods", () => {
  it("405 for TRACE and PUT, which no operation declares; 404 for a method the gateway does not route", async () => {
    expect(await send("TRACE", "/items")).toMatchObject({ status: 405, allow: "GET, HEAD, OPTIONS, POST" });
    expect(await send("PUT", "/items")).toMatchObject({ status: 405, allow: "GET, HEAD, OPTIONS, POST" });
    const propfind = await send("PROPFIND", "/items");
    expect(propfind.status).toBe(404);
  });

  it("a CORS preflight the API has no cors policy for: 204 with the path's Allow, whatever method it asks about", async () => {
    const preflight = (method: string) => ({ origin: "https://app.example", "access-control-request-method": method });
    expect(await send("OPTIONS", "/items", preflight("POST"))).toMatchObject({ status: 204, allow: "GET, HEAD, OPTIONS, POST" });
    expect(await send("OPTIONS", "/items", preflight("DELETE"))).toMatchObject({ status: 204, allow: "GET, HEAD, OPTIONS, POST" });
  });

  it("404 for a path no API serves, whatever the method", async () => {
    for (const method of ["GET", "POST", "OPTIONS", "DELETE"]) expect((await send(method, "/nothing/here")).status).toBe(404);
  });
});

/** A path template as segments: a static word, or a parameter. */
type Template = { readonly segments: readonly string[]; readonly methods: readonly string[] };
const PARAMETER = "{}";
const WORDS = ["a", "b", "c"];

/**
 * Which route a request should take, as OpenAPI matches paths: of the templates that match
 * the path, the one with a static segment where the others have a parameter, first difference
 * first; then its operation for the method (HEAD through GET), or the gateway's own answer.
 */
function expectedRoute(templates: readonly Template[], segments: readonly string[], method: string): { kind: string; operationId?: string; allow?: string } {
  const matching = templates.filter((template) => template.segments.length === segments.length && template.segments.every((segment, index) => segment === PARAMETER || segment === segments[index]));
  const specificity = (template: Template) => template.segments.map((segment) => (segment === PARAMETER ? "1" : "0")).join("");
  const path = matching.sort((x, y) => specificity(x).localeCompare(specificity(y)))[0];
  if (path === undefined) return { kind: "none" };
  const methods = new Set(path.methods);
  if (methods.has("GET")) methods.add("HEAD");
  const allow = [...methods, "OPTIONS"].sort().join(", ");
  if (methods.has(method)) return { kind: "operation", operationId: operationIdOf(path, method === "HEAD" && !path.methods.includes("HEAD") ? "GET" : method), allow };
  if (method === "OPTIONS") return { kind: "options", allow };
  if ((HTTP_METHODS as readonly string[]).includes(method)) return { kind: "method-not-allowed", allow };
  return { kind: "none" };
}

function operationIdOf(template: Template, method: string): string {
  return `${method.toLowerCase()}-${template.segments.map((segment) => (segment === PARAMETER ? "p" : segment)).join("-")}`;
}

describe("path precedence, for any set of paths (property)", () => {
  const template = fc.record({
    segments: fc.array(fc.constantFrom(...WORDS, PARAMETER), { minLength: 1, maxLength: 3 }),
    methods: fc.subarray(["GET", "POST", "PUT", "DELETE", "PATCH"], { minLength: 1 }),
  });
  const templates = fc.uniqueArray(template, { minLength: 1, maxLength: 8, selector: (candidate) => candidate.segments.join("/") });
  const requestPath = fc.array(fc.constantFrom(...WORDS, "zz"), { minLength: 1, maxLength: 3 });
  const method = fc.constantFrom("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND");

  it("takes the most specific matching path, then the method's operation or the gateway's answer", async () => {
    const api = manifest.spec.apis[0]!;
    const sample = api.operations[0]!;
    const options = { store: new MemoryStore(), pools: new PoolRegistry(), metrics: new GatewayMetrics(), logger: pino({ level: "silent" }) };
    await fc.assert(
      fc.asyncProperty(templates, fc.array(fc.tuple(requestPath, method), { minLength: 1, maxLength: 12 }), async (declared, requests) => {
        const operations = declared.flatMap((path) => {
          let parameter = 0;
          const template = `/${path.segments.map((segment) => (segment === PARAMETER ? `{p${parameter++}}` : segment)).join("/")}`;
          return path.methods.map((verb): Operation => ({ ...sample, operationId: operationIdOf(path, verb), method: verb, path: template, route: `${api.basePath}${template}`, parameters: [], policies: [] }));
        });
        const snapshot = await Snapshot.build({ ...manifest, spec: { ...manifest.spec, apis: [{ ...api, operations }] } }, options);
        try {
          for (const [segments, verb] of requests) {
            const found = snapshot.router.find("GET", `${api.basePath}/${segments.join("/")}`);
            const route = found === null ? undefined : (found.store as PathRoutes).get(verb);
            const actual = route === undefined ? { kind: "none" } : { kind: route.kind, ...(route.operationId === null ? {} : { operationId: route.operationId }), allow: route.allow };
            expect({ request: `${verb} /${segments.join("/")}`, ...actual }).toEqual({ request: `${verb} /${segments.join("/")}`, ...expectedRoute(declared, segments, verb) });
          }
        } finally {
          await snapshot.close();
        }
      }),
      { numRuns: 300 },
    );
    await options.store.close();
  });
});
