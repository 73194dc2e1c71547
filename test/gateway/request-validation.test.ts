/**
 * requestValidation through the real gateway bundle to a real upstream: what is let through
 * arrives intact, what is rejected is answered 400/415 as problem+json and never reaches the
 * upstream, and the gateway keeps serving.
 */
import { Readable } from "node:stream";
import { Consumer, Credential, OpenApi, Plan, Product, Secret, apiKey, requestValidation } from "../../constructs/index";
import { itemsApi, itemsContract, testPlatform } from "../helpers/declaration";
import { type RunningGateway, startGateway } from "../helpers/gateway";
import { type TestUpstream, startUpstream } from "../helpers/upstream";

type Json = Record<string, any>;

const KEY = "test-key-0123456789";
let upstream: TestUpstream;
let gateway: RunningGateway;

/** The items contract with typed parameters and the body schema written inline. */
function contract(): Json {
  return itemsContract((document: Json) => {
    const items = document.paths["/items"];
    items.get.parameters.push(
      { name: "active", in: "query", schema: { type: "boolean" } },
      { name: "tags", in: "query", schema: { type: "array", items: { type: "string" } } },
      { name: "X-Tenant", in: "header", schema: { type: "string", pattern: "^[a-z]+$" } },
    );
    items.post.requestBody.content = {
      "application/json": {
        schema: {
          type: "object",
          required: ["id", "name"],
          properties: { id: { type: "string", readOnly: true }, name: { type: "string", minLength: 1 }, price: { type: "number", minimum: 0 }, tags: { type: "array", items: { type: "string" } } },
        },
      },
      "application/*+json": { schema: { type: "object" } },
    };
    document.paths["/items/{itemId}"].parameters[0].schema = { type: "integer", minimum: 1 };
  });
}

beforeAll(async () => {
  upstream = await startUpstream();
  const platform = testPlatform();
  const api = itemsApi(platform, "items", {
    contract: OpenApi.fromDocument(contract()),
    upstream: { targets: [{ url: upstream.url }], timeoutMs: 2_000 },
    policies: [apiKey(), requestValidation()],
    operations: { listItems: { policies: [requestValidation({ rejectUnknownQueryParameters: true })] } },
  });
  // The plain items contract: its body schema is a $ref into components.
  const refs = itemsApi(platform, "refs", { upstream: { targets: [{ url: upstream.url }], timeoutMs: 2_000 }, policies: [apiKey(), requestValidation()] });
  const product = new Product(platform, "shop", { apis: [api, refs], plans: [new Plan(platform, "free")] });
  new Consumer(platform, "app", { subscriptions: [{ product, plan: "free" }], credentials: [Credential.apiKey({ secret: Secret.fromEnv("APP_KEY") })] });
  gateway = await startGateway(platform, { env: { APP_KEY: KEY } });
});

afterAll(async () => {
  await gateway?.stop();
  await upstream?.close();
});

const authed = { "x-api-key": KEY };
const create = { ...authed, "content-type": "application/json", "idempotency-key": "k-1" };

/** Sends a request that must be rejected; checks the upstream never saw it and returns the problem. */
async function rejected(path: string, init: RequestInit, status = 400): Promise<Json> {
  const before = upstream.requests.length;
  const response = await fetch(`${gateway.url}/items/v1${path}`, init);
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const problem = (await response.json()) as Json;
  expect(upstream.requests.length).toBe(before);
  return problem;
}

describe("requestValidation through the gateway", () => {
  it("lets a valid request through with its body intact, a readOnly property not required", async () => {
    const body = JSON.stringify({ name: "pen", price: 2.5, tags: ["blue"], note: "ünïcødé" });
    const response = await fetch(`${gateway.url}/items/v1/items`, { method: "POST", headers: create, body });
    expect(response.status).toBe(200);
    const seen = (await response.json()) as { method: string; body: string; headers: Record<string, string> };
    expect(seen.method).toBe("POST");
    expect(seen.body).toBe(body);
    expect(seen.headers["content-length"]).toBe(String(Buffer.byteLength(body)));
  });

  it("validates and forwards a chunked body", async () => {
    const parts = ['{"name":', '"chunked",', '"price":1}'];
    const response = await fetch(`${gateway.url}/items/v1/items`, { method: "POST", headers: create, body: Readable.toWeb(Readable.from(parts)) as ReadableStream, duplex: "half" } as RequestInit);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { body: string }).body).toBe(parts.join(""));
    const problem = await rejected("/items", { method: "POST", headers: create, body: Readable.toWeb(Readable.from(['{"name":', "7}"])) as ReadableStream, duplex: "half" } as RequestInit);
    expect(problem.errors).toEqual([{ in: "body", pointer: "/name", message: "must be string" }]);
  });

  it("converts query values to their types: 5 is an integer, true a boolean", async () => {
    const response = await fetch(`${gateway.url}/items/v1/items?limit=5&active=true&tags=a&tags=b`, { headers: { ...authed, "x-tenant": "acme" } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { url: string }).url).toBe("/items?limit=5&active=true&tags=a&tags=b");
  });

  it("answers 400 with field errors for parameters of the wrong type", async () => {
    const problem = await rejected("/items?limit=abc&active=maybe", { headers: { ...authed, "x-tenant": "ACME" } });
    expect(problem).toMatchObject({
      type: "https://turnpike.dev/problems/request-validation",
      status: 400,
      detail: "the request does not match the contract of listItems: query parameter limit must be integer (and 2 more errors)",
      errors: [
        { in: "query", name: "limit", pointer: "", message: "must be integer" },
        { in: "query", name: "active", pointer: "", message: "must be boolean" },
        { in: "header", name: "X-Tenant", pointer: "", message: 'must match pattern "^[a-z]+$"' },
      ],
    });
    expect((await rejected("/items/abc", { headers: authed })).errors).toEqual([{ in: "path", name: "itemId", pointer: "", message: "must be integer" }]);
  });

  it("answers 400 for a missing required header or body", async () => {
    const { "idempotency-key": _key, ...withoutKey } = create;
    expect((await rejected("/items", { method: "POST", headers: withoutKey, body: '{"name":"pen"}' })).errors).toEqual([{ in: "header", name: "Idempotency-Key", pointer: "", message: "is required" }]);
    expect((await rejected("/items", { method: "POST", headers: create })).errors).toEqual([{ in: "body", pointer: "", message: "is required" }]);
  });

  it("answers 400 for a body that violates its schema, pointing at the fields", async () => {
    const problem = await rejected("/items", { method: "POST", headers: create, body: JSON.stringify({ price: -1, tags: [1] }) });
    expect(problem.errors).toEqual([
      { in: "body", pointer: "/name", message: "is required" },
      { in: "body", pointer: "/price", message: "must be >= 0" },
      { in: "body", pointer: "/tags/0", message: "must be string" },
    ]);
  });

  it("answers 400 for malformed JSON without quoting it", async () => {
    const problem = await rejected("/items", { method: "POST", headers: create, body: '{"name": "pen", secret-stuff' });
    expect(problem.errors).toEqual([{ in: "body", pointer: "", message: "is not valid JSON" }]);
    expect(JSON.stringify(problem)).not.toContain("secret-stuff");
  });

  it("answers 415 with the accepted media types for an undeclared one, and accepts a declared range", async () => {
    const problem = await rejected("/items", { method: "POST", headers: { ...create, "content-type": "text/xml" }, body: "<item/>" }, 415);
    expect(problem).toMatchObject({ type: "https://turnpike.dev/problems/unsupported-media-type", accepted: ["application/*+json", "application/json"] });
    const response = await fetch(`${gateway.url}/items/v1/items`, { method: "POST", headers: { ...create, "content-type": "application/vnd.acme.item+json; charset=utf-8" }, body: "{}" });
    expect(response.status).toBe(200);
  });

  it("rejects unknown query parameters where the operation asks for it", async () => {
    const problem = await rejected("/items?limit=5&debug=1", { headers: authed });
    expect(problem.errors).toEqual([{ in: "query", name: "debug", pointer: "", message: "is not a parameter of this operation" }]);
    // getItem validates with the API's policy, which lets them through.
    expect((await fetch(`${gateway.url}/items/v1/items/7?debug=1`, { headers: authed })).status).toBe(200);
  });

  it("follows $refs into the contract's components", async () => {
    const response = await fetch(`${gateway.url}/refs/v1/items`, { method: "POST", headers: create, body: '{"name": 5}' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Json).errors).toEqual([{ in: "body", pointer: "/name", message: "must be string" }]);
  });

  it("keeps serving after rejections, on the same connection", async () => {
    for (let index = 0; index < 20; index++) await rejected("/items", { method: "POST", headers: create, body: "{".repeat(index + 1) });
    const response = await fetch(`${gateway.url}/items/v1/items`, { method: "POST", headers: create, body: '{"name":"after"}' });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { body: string }).body).toBe('{"name":"after"}');
  });
});
