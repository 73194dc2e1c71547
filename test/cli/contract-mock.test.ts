/**
 * `turnpike dev`'s contract mock over real HTTP: responses chosen by the contract and by
 * `Prefer`, bodies from examples or generated from schemas, documented headers, HEAD and 204
 * without a body, 404/405 as problem+json; and which APIs dev mocks.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { Api, OpenApi } from "../../constructs/index";
import type { GatewayConfig } from "../../constructs/manifest/schema";
import { type ContractMock, startContractMock } from "../../cli/dev/contract-mock";
import { mockedApis } from "../../cli/dev/mock/mocked-apis";
import { compileOk, testPlatform } from "../helpers/declaration";

type Json = Record<string, unknown>;

const DOGS = [
  { id: "p-1", name: "Rex", kind: "dog" },
  { id: "p-2", name: "Fido", kind: "dog" },
];

function shopContract(): Json {
  const problem = (example?: Json) => ({
    description: "A problem.",
    content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" }, ...(example ? { example } : {}) } },
  });
  return {
    openapi: "3.1.0",
    info: { title: "Shop", version: "1.0.0" },
    paths: {
      "/pets": {
        get: {
          operationId: "listPets",
          responses: {
            "200": {
              description: "Pets.",
              headers: {
                "X-Total-Count": { schema: { type: "integer", minimum: 3 } },
                "X-Next-Cursor": { schema: { type: "string" }, example: "abc" },
                "X-Request-Id": { $ref: "#/components/headers/RequestId" },
                "Content-Type": { schema: { type: "string", example: "text/html" } },
              },
              content: {
                "application/json": {
                  schema: { type: "array", items: { $ref: "#/components/schemas/Pet" } },
                  examples: { dogs: { $ref: "#/components/examples/Dogs" }, empty: { summary: "None", value: [] } },
                },
              },
            },
            "404": problem({ type: "https://example.com/not-found", title: "No pets", status: 404 }),
          },
        },
        post: {
          operationId: "createPet",
          requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/Pet" } } } },
          responses: { "201": { description: "Created.", content: { "application/json": { schema: { $ref: "#/components/schemas/Pet" } } } }, "4XX": problem() },
        },
      },
      "/pets/{petId}": {
        parameters: [{ name: "petId", in: "path", required: true, schema: { type: "string" } }],
        get: {
          operationId: "getPet",
          responses: {
            // XML first: without an Accept that asks for it, JSON is still preferred.
            "200": { description: "A pet.", content: { "application/xml": { schema: { $ref: "#/components/schemas/Pet" } }, "application/json": { schema: { $ref: "#/components/schemas/Pet" } } } },
            "404": problem(),
          },
        },
        delete: { operationId: "deletePet", responses: { "204": { description: "Deleted.", headers: { "X-Deleted": { schema: { type: "boolean" } } } } } },
      },
      "/toys": {
        get: {
          operationId: "listToys",
          responses: {
            "200": {
              description: "Toys.",
              content: {
                "text/plain": { schema: { type: "string" }, example: "ball, bone" },
                "application/json": { schema: { type: "array", items: { type: "string" } }, example: ["ball", "bone"] },
              },
            },
            default: problem(),
          },
        },
      },
      "/health": { get: { operationId: "health", responses: { default: { description: "Anything.", content: { "application/json": { schema: { type: "object", properties: { ok: { type: "boolean", const: true } } } } } } } } },
    },
    components: {
      schemas: {
        Pet: {
          type: "object",
          required: ["id", "name", "kind", "born", "owner"],
          properties: {
            id: { type: "string", readOnly: true, pattern: "^p-[0-9]+$" },
            name: { type: "string", minLength: 1 },
            kind: { $ref: "#/components/schemas/Kind" },
            born: { type: "string", format: "date" },
            owner: { $ref: "#/components/schemas/Owner" },
            password: { type: "string", writeOnly: true },
            tags: { type: ["array", "null"], items: { type: "string" } },
          },
        },
        Kind: { type: "string", enum: ["dog", "cat"] },
        Owner: { type: "object", required: ["email"], properties: { email: { type: "string", format: "email" } } },
        Problem: { type: "object", properties: { type: { type: "string" }, title: { type: "string" }, status: { type: "integer" } } },
      },
      examples: { Dogs: { summary: "Two dogs", value: DOGS } },
      headers: { RequestId: { schema: { type: "string", format: "uuid" } } },
    },
  };
}

let manifest: GatewayConfig;
let mock: ContractMock;

beforeAll(async () => {
  const platform = testPlatform();
  new Api(platform, "shop", { version: "1.0.0", contract: OpenApi.fromDocument(shopContract()), upstream: { mock: true } });
  manifest = await compileOk(platform);
  mock = await startContractMock(manifest, ["shop-v1"]);
});

afterAll(() => mock?.close());

function call(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${mock.url}${path}`, init);
}

describe("the contract mock", () => {
  it("answers the lowest 2xx with the first of the media type's examples, $ref into components.examples resolved", async () => {
    const response = await call("/shop-v1/pets");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("x-turnpike-mock")).toBe("shop-v1 listPets");
    expect(await response.json()).toEqual(DOGS);
    expect(mock.warnings).toEqual([]);
  });

  it("answers a media type's example", async () => {
    const response = await call("/shop-v1/toys");
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toEqual(["ball", "bone"]);
  });

  it("picks the media type the request accepts, JSON when Accept names none of them", async () => {
    const text = await call("/shop-v1/toys", { headers: { accept: "text/plain" } });
    expect(text.headers.get("content-type")).toBe("text/plain");
    expect(await text.text()).toBe("ball, bone");
    const weighted = await call("/shop-v1/toys", { headers: { accept: "application/json;q=0.5, text/*" } });
    expect(weighted.headers.get("content-type")).toBe("text/plain");
    const unknown = await call("/shop-v1/toys", { headers: { accept: "image/png" } });
    expect(unknown.status).toBe(200);
    expect(unknown.headers.get("content-type")).toBe("application/json");
  });

  it("generates a body from the schema when there is no example: valid against it, $refs resolved, no writeOnly members", async () => {
    const response = await call("/shop-v1/pets/p-7");
    expect(response.status).toBe(200);
    expect(response.headers.get("x-turnpike-mock")).toBe("shop-v1 getPet");
    const body = (await response.json()) as Json;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile({ $ref: "#/components/schemas/Pet", components: (manifest.spec.apis[0]!.contract.document as Json).components });
    expect(validate.errors ?? []).toEqual([]);
    expect(validate(body)).toBe(true);
    expect(body).toHaveProperty("id");
    expect(body).not.toHaveProperty("password");
    expect(body.owner).toEqual({ email: expect.stringContaining("@") });
  });

  it("generates XML from the schema for an XML media type the request accepts", async () => {
    const response = await call("/shop-v1/pets/p-7", { headers: { accept: "application/xml" } });
    expect(response.headers.get("content-type")).toBe("application/xml");
    expect(await response.text()).toMatch(/^<Pet>\n {2}<id>[^]*<kind>dog<\/kind>[^]*<\/Pet>\n$/);
  });

  it("sends the documented response headers with their example or a sample, never a documented Content-Type", async () => {
    const response = await call("/shop-v1/pets");
    expect(response.headers.get("x-total-count")).toBe("3");
    expect(response.headers.get("x-next-cursor")).toBe("abc");
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(response.headers.get("content-type")).toBe("application/json");
  });

  it("answers the status Prefer: code asks for, a range or default standing in for an undeclared code", async () => {
    const notFound = await call("/shop-v1/pets", { headers: { prefer: "code=404" } });
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get("content-type")).toBe("application/problem+json");
    expect(await notFound.json()).toEqual({ type: "https://example.com/not-found", title: "No pets", status: 404 });
    const ranged = await call("/shop-v1/pets", { method: "POST", headers: { prefer: "code=409", "content-type": "application/json" }, body: "{}" });
    expect(ranged.status).toBe(409);
    expect(ranged.headers.get("content-type")).toBe("application/problem+json");
    const fallback = await call("/shop-v1/toys", { headers: { prefer: "code=503" } });
    expect(fallback.status).toBe(503);
  });

  it("answers 400 when Prefer asks for what the contract does not declare", async () => {
    const response = await call("/shop-v1/pets/p-1", { headers: { prefer: "code=418" } });
    expect(response.status).toBe(400);
    expect(response.headers.get("x-turnpike-mock")).toBe("shop-v1 getPet");
    expect(((await response.json()) as Json).detail).toMatch(/no 418 response.*declared: 200, 404/);
    const example = await call("/shop-v1/pets", { headers: { prefer: "example=cats" } });
    expect(example.status).toBe(400);
    expect(((await example.json()) as Json).detail).toMatch(/named examples: dogs, empty/);
  });

  it("answers the example Prefer: example names", async () => {
    const response = await call("/shop-v1/pets", { headers: { prefer: 'example="empty"' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([]);
    const both = await call("/shop-v1/pets", { headers: { prefer: "code=200, example=dogs" } });
    expect(await both.json()).toEqual(DOGS);
  });

  it("uses the lowest 2xx for other methods and default (as 200) when no 2xx is declared", async () => {
    const created = await call("/shop-v1/pets", { method: "POST", headers: { "content-type": "application/json" }, body: '{"name":"Rex"}' });
    expect(created.status).toBe(201);
    expect(created.headers.get("x-turnpike-mock")).toBe("shop-v1 createPet");
    expect(((await created.json()) as Json).kind).toBe("dog");
    const health = await call("/shop-v1/health");
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
  });

  it("answers HEAD like GET without a body, and 204 without a body", async () => {
    const head = await call("/shop-v1/pets", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("x-turnpike-mock")).toBe("shop-v1 listPets");
    expect(Number(head.headers.get("content-length"))).toBe(Buffer.byteLength(`${JSON.stringify(DOGS, null, 2)}\n`));
    expect(await head.text()).toBe("");
    const deleted = await call("/shop-v1/pets/p-1", { method: "DELETE" });
    expect(deleted.status).toBe(204);
    expect(deleted.headers.get("x-deleted")).toBe("true");
    expect(deleted.headers.get("content-type")).toBeNull();
    expect(await deleted.text()).toBe("");
  });

  it("answers an unknown path 404 and an undeclared method 405 with Allow, as problem+json", async () => {
    for (const path of ["/shop-v1/nothing", "/other-v1/pets", "/shop-v1/pets/p-1/extra"]) {
      const response = await call(path);
      expect(response.status).toBe(404);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(((await response.json()) as Json).type).toBe("https://turnpike.dev/problems/not-found");
    }
    const response = await call("/shop-v1/pets", { method: "PUT", body: "{}" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD, POST");
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });

  it("does not validate requests: the gateway does", async () => {
    const response = await call("/shop-v1/pets", { method: "POST", headers: { "content-type": "application/json" }, body: "not json" });
    expect(response.status).toBe(201);
  });

  it("answers from a new manifest after update", async () => {
    const platform = testPlatform();
    new Api(platform, "shop", {
      version: "1.0.0",
      contract: OpenApi.fromDocument({ openapi: "3.1.0", info: { title: "Shop", version: "1.0.0" }, paths: { "/birds": { get: { operationId: "listBirds", responses: { "200": { description: "Birds.", content: { "application/json": { example: ["tweety"] } } } } } } } }),
      upstream: { mock: true },
    });
    const next = await compileOk(platform);
    const other = await startContractMock(manifest, []);
    try {
      expect((await fetch(`${other.url}/shop-v1/birds`)).status).toBe(404);
      expect(other.update(next, ["shop-v1"])).toEqual([]);
      const response = await fetch(`${other.url}/shop-v1/birds`);
      expect(await response.json()).toEqual(["tweety"]);
    } finally {
      await other.close();
    }
  });
});

describe("which APIs dev mocks", () => {
  it("mocks declared APIs and those whose every target is unreachable, probing in parallel", async () => {
    const live = createServer((_req, res) => res.end());
    await new Promise<void>((resolve) => live.listen(0, "127.0.0.1", resolve));
    const liveUrl = `http://127.0.0.1:${(live.address() as AddressInfo).port}`;
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    try {
      const platform = testPlatform();
      const contract = () => OpenApi.fromDocument({ openapi: "3.1.0", info: { title: "T", version: "1.0.0" }, paths: { "/t": { get: { operationId: "t", responses: { "200": { description: "T." } } } } } });
      new Api(platform, "declared", { version: "1.0.0", contract: contract(), upstream: { mock: true } });
      new Api(platform, "down", { version: "1.0.0", contract: contract(), upstream: { targets: [{ url: closedUrl }] } });
      new Api(platform, "nowhere", { version: "1.0.0", contract: contract(), upstream: { targets: [{ url: "http://orders.invalid:8080" }] } });
      new Api(platform, "failover", { version: "1.0.0", contract: contract(), upstream: { targets: [{ url: closedUrl }], failover: [{ url: liveUrl }] } });
      new Api(platform, "up", { version: "1.0.0", contract: contract(), upstream: { targets: [{ url: liveUrl }] } });
      const started = performance.now();
      const mocked = await mockedApis(await compileOk(platform), 300);
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(mocked).toEqual([
        { apiId: "declared-v1", reason: { kind: "declared" } },
        { apiId: "down-v1", reason: { kind: "unreachable", urls: [closedUrl] } },
        { apiId: "nowhere-v1", reason: { kind: "unreachable", urls: ["http://orders.invalid:8080"] } },
      ]);
    } finally {
      await new Promise<void>((resolve) => live.close(() => resolve()));
    }
  });
});
