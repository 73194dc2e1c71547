/**
 * Which route a request takes: a path's precedence over another that also matches, and the
 * gateway's own answers for the methods a path lacks (405, OPTIONS) or it does not route.
 * The gateway routes each path once whatever the method, so these are the same for every method.
 */
import { request } from "undici";
import { OpenApi } from "../../constructs/index";
import { itemsApi, itemsContract, testPlatform } from "../helpers/declaration";
import { type RunningGateway, startGateway } from "../helpers/gateway";
import { type TestUpstream, startUpstream } from "../helpers/upstream";

let upstream: TestUpstream;
let gateway: RunningGateway;

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
