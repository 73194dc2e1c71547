/**
 * requestValidation's runtime (policies/request-validation/handler.ts), in process: the
 * handler built from a compiled manifest, fed requests without a server. Parameters by style
 * and strict coercion, bodies by media type, references into the contract, OpenAPI 3.0's
 * dialect, and what the handler does when it is not given the contract documents.
 */
import Ajv2020 from "ajv/dist/2020";
import fc from "fast-check";
import type { Logger } from "pino";
import { OpenApi, apiKey, requestValidation, type PolicyDeclaration, type RequestValidationOptions } from "../../constructs/index";
import type { GatewayConfig, Operation } from "../../constructs/manifest/schema";
import type { HandlerContext, PolicyHandler } from "../../gateway-image/src/chain/policy-handler";
import { BodyTooLargeError } from "../../gateway-image/src/http/exchange";
import type { Reply } from "../../gateway-image/src/http/problem";
import type { RequestValidationConfig } from "../../policies/request-validation/compile-validators";
import { createRequestValidationHandler } from "../../policies/request-validation/handler";
import { compileOk, itemsApi, itemsContract, operation, testPlatform } from "../helpers/declaration";

type Json = Record<string, any>;

/** The items contract with parameters and bodies of every kind the handler reads. */
function shopContract(changes: (document: Json) => void = () => {}): Json {
  return itemsContract((document: Json) => {
    const items = document.paths["/items"];
    items.get.parameters = [
      { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 100 } },
      { name: "tags", in: "query", schema: { type: "array", items: { type: "string", maxLength: 5 }, maxItems: 3 } },
      { name: "ids", in: "query", explode: false, schema: { type: "array", items: { type: "integer" } } },
      { name: "filter", in: "query", style: "deepObject", explode: true, schema: { type: "object", properties: { color: { type: "string" }, size: { type: "integer" } }, additionalProperties: false } },
      { name: "active", in: "query", schema: { type: "boolean" } },
      { name: "where", in: "query", content: { "application/json": { schema: { type: "object", required: ["field"] } } } },
      { name: "X-Tenant", in: "header", required: true, schema: { type: "string", pattern: "^[a-z]+$" } },
      { name: "X-Versions", in: "header", schema: { type: "array", items: { type: "integer" } } },
    ];
    items.post.requestBody.content["application/x-www-form-urlencoded"] = { schema: { $ref: "#/components/schemas/Item" } };
    items.post.requestBody.content["text/plain"] = { schema: { type: "string", maxLength: 3 } };
    items.post.requestBody.content["image/*"] = {};
    document.paths["/items/{itemId}"].parameters = [{ name: "itemId", in: "path", required: true, schema: { type: "integer", minimum: 1 } }];
    document.paths["/items/{itemId}"].patch = {
      operationId: "patchItem",
      requestBody: { content: { "application/*+json": { schema: { type: "object", properties: { name: { type: "string" } }, additionalProperties: false } } } },
      responses: { "200": { description: "Patched." } },
    };
    const schemas = document.components.schemas;
    schemas.Item = {
      type: "object",
      required: ["id", "name"],
      properties: {
        id: { type: "string", readOnly: true },
        name: { type: "string", minLength: 1 },
        price: { type: "number", minimum: 0, example: 3.5 },
        count: { type: "integer", format: "int32" },
        tags: { type: "array", items: { $ref: "#/components/schemas/Tag" } },
        children: { type: "array", items: { $ref: "#/components/schemas/Item" } },
        sku: { type: "string", format: "x-vendor-sku" },
      },
      xml: { name: "item" },
    };
    schemas.Tag = { type: "string", maxLength: 10 };
    changes(document);
  });
}

interface Built {
  readonly manifest: GatewayConfig;
  readonly handler: PolicyHandler;
  readonly warnings: { fields: Json; message: string }[];
}

/** Compiles the declaration and creates the handler of its requestValidation instance. */
async function build(options: RequestValidationOptions = {}, contract: Json = shopContract(), extra: { policies?: PolicyDeclaration[] } = {}): Promise<Built> {
  const platform = testPlatform();
  itemsApi(platform, "items", { contract: OpenApi.fromDocument(contract), policies: extra.policies ?? [apiKey(), requestValidation(options)] });
  const manifest = await compileOk(platform);
  const instance = manifest.spec.policies.find((candidate) => candidate.policy === "requestValidation")!;
  const warnings: Built["warnings"] = [];
  const logger = { warn: (fields: Json, message: string) => warnings.push({ fields, message }), debug: () => {}, info: () => {}, error: () => {} } as unknown as Logger;
  const context = { instance, logger, manifest } as unknown as HandlerContext;
  return { manifest, handler: createRequestValidationHandler(instance.config as RequestValidationConfig, context), warnings };
}

interface Call {
  readonly method?: string;
  readonly params?: Record<string, string>;
  readonly query?: string;
  readonly headers?: Record<string, string>;
  /** Sent as the body; a Content-Length is added unless `headers` has a Transfer-Encoding. */
  readonly body?: string | Buffer;
  readonly maxBufferedBodyBytes?: number;
}

/** Runs the access phase on a request to one operation; resolves to its answer (undefined: let through). */
async function call(built: Built, operationId: string, request: Call = {}): Promise<{ reply: Reply | undefined; readBody: boolean }> {
  const target: Operation = operation(built.manifest, "items-v1", operationId);
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  const headers: Record<string, string> = { "x-tenant": "acme", ...request.headers };
  if (body !== undefined && headers["transfer-encoding"] === undefined) headers["content-length"] = String(body.length);
  let readBody = false;
  const query = request.query ?? "";
  const exchange = {
    req: { method: request.method ?? target.method, headers },
    params: request.params ?? {},
    query,
    searchParams: new URLSearchParams(query),
    route: { operation: target, apiId: "items-v1", maxBufferedBodyBytes: request.maxBufferedBodyBytes ?? 1_048_576 },
    readBody: async (maxBytes: number) => {
      readBody = true;
      if ((body?.length ?? 0) > maxBytes) throw new BodyTooLargeError(maxBytes);
      return body ?? Buffer.alloc(0);
    },
  };
  const reply = await built.handler.access!(exchange as never);
  return { reply, readBody };
}

function errorsOf(reply: Reply | undefined): Json[] {
  expect(reply?.status).toBe(400);
  const body = JSON.parse(reply!.body) as Json;
  expect(body.type).toBe("https://turnpike.dev/problems/request-validation");
  return body.errors as Json[];
}

const json = { "content-type": "application/json", "idempotency-key": "k1" };

describe("requestValidation at the gateway", () => {
  let built: Built;
  beforeAll(async () => {
    built = await build({ rejectUnknownQueryParameters: false });
  });

  describe("query parameters", () => {
    it("lets a request matching the contract through", async () => {
      expect((await call(built, "listItems", { query: "limit=5&tags=a&tags=b&ids=1,2&filter[color]=red&filter[size]=3&active=true" })).reply).toBeUndefined();
      expect((await call(built, "listItems")).reply).toBeUndefined();
    });

    it("converts strings to the schema's type strictly: 5 is an integer, 0x10, 1e2 and ' 5' are not", async () => {
      expect((await call(built, "listItems", { query: "limit=5" })).reply).toBeUndefined();
      for (const value of ["abc", "0x10", "1e2", "%205", "5.0", ""]) {
        expect(errorsOf((await call(built, "listItems", { query: `limit=${value}` })).reply)).toEqual([{ in: "query", name: "limit", pointer: "", message: "must be integer" }]);
      }
      expect(errorsOf((await call(built, "listItems", { query: "limit=500" })).reply)).toEqual([{ in: "query", name: "limit", pointer: "", message: "must be <= 100" }]);
      expect(errorsOf((await call(built, "listItems", { query: "active=yes" })).reply)).toEqual([{ in: "query", name: "active", pointer: "", message: "must be boolean" }]);
    });

    it("points into arrays and objects: form lists, comma lists, deepObject", async () => {
      expect(errorsOf((await call(built, "listItems", { query: "ids=1,x" })).reply)).toEqual([{ in: "query", name: "ids", pointer: "/1", message: "must be integer" }]);
      expect(errorsOf((await call(built, "listItems", { query: "tags=a&tags=toolong" })).reply)).toEqual([{ in: "query", name: "tags", pointer: "/1", message: "must NOT have more than 5 characters" }]);
      expect(errorsOf((await call(built, "listItems", { query: "tags=a&tags=b&tags=c&tags=d" })).reply)).toEqual([{ in: "query", name: "tags", pointer: "", message: "must NOT have more than 3 items" }]);
      expect(errorsOf((await call(built, "listItems", { query: "filter[size]=big&filter[shape]=round" })).reply)).toEqual([
        { in: "query", name: "filter", pointer: "/shape", message: "is not allowed by the schema" },
        { in: "query", name: "filter", pointer: "/size", message: "must be integer" },
      ]);
    });

    it("treats a primitive sent twice as invalid rather than picking one of the values", async () => {
      expect(errorsOf((await call(built, "listItems", { query: "limit=1&limit=2" })).reply)).toEqual([{ in: "query", name: "limit", pointer: "", message: "must be integer" }]);
    });

    it("parses JSON-encoded parameters (content: application/json) and validates them exactly", async () => {
      expect((await call(built, "listItems", { query: `where=${encodeURIComponent('{"field":"name"}')}` })).reply).toBeUndefined();
      expect(errorsOf((await call(built, "listItems", { query: "where=%7Bnope" })).reply)).toEqual([{ in: "query", name: "where", pointer: "", message: "is not valid JSON" }]);
      expect(errorsOf((await call(built, "listItems", { query: "where=%7B%7D" })).reply)).toEqual([{ in: "query", name: "where", pointer: "/field", message: "is required" }]);
    });

    it("lets unknown query parameters through unless told to reject them", async () => {
      expect((await call(built, "listItems", { query: "limit=5&debug=1" })).reply).toBeUndefined();
      const strict = await build({ rejectUnknownQueryParameters: true });
      expect((await call(strict, "listItems", { query: "limit=5&filter[color]=red" })).reply).toBeUndefined();
      expect(errorsOf((await call(strict, "listItems", { query: "limit=5&debug=1&debug=2&x" })).reply)).toEqual([
        { in: "query", name: "debug", pointer: "", message: "is not a parameter of this operation" },
        { in: "query", name: "x", pointer: "", message: "is not a parameter of this operation" },
      ]);
    });

    it("does not count an API key sent in the query as unknown", async () => {
      const contract = shopContract((document) => (document.components.securitySchemes.ApiKeyAuth = { type: "apiKey", in: "query", name: "api_key" }));
      const strict = await build({ rejectUnknownQueryParameters: true }, contract);
      expect((await call(strict, "listItems", { query: "api_key=secret&limit=5" })).reply).toBeUndefined();
      expect(errorsOf((await call(strict, "listItems", { query: "api_key=secret&apikey=x" })).reply)).toEqual([{ in: "query", name: "apikey", pointer: "", message: "is not a parameter of this operation" }]);
    });
  });

  describe("path and header parameters", () => {
    it("validates path parameters by their decoded value", async () => {
      expect((await call(built, "getItem", { params: { itemId: "42" } })).reply).toBeUndefined();
      expect(errorsOf((await call(built, "getItem", { params: { itemId: "abc" } })).reply)).toEqual([{ in: "path", name: "itemId", pointer: "", message: "must be integer" }]);
      expect(errorsOf((await call(built, "getItem", { params: { itemId: "0" } })).reply)).toEqual([{ in: "path", name: "itemId", pointer: "", message: "must be >= 1" }]);
    });

    it("reads headers case-insensitively and reports them by their contract name", async () => {
      expect(errorsOf((await call(built, "listItems", { headers: { "x-tenant": "ACME" } })).reply)).toEqual([{ in: "header", name: "X-Tenant", pointer: "", message: 'must match pattern "^[a-z]+$"' }]);
      const missing = await call(built, "listItems", { headers: { "x-tenant": undefined as unknown as string } });
      expect(errorsOf(missing.reply)).toEqual([{ in: "header", name: "X-Tenant", pointer: "", message: "is required" }]);
      expect((await call(built, "listItems", { headers: { "x-versions": "1, 2,3" } })).reply).toBeUndefined();
      expect(errorsOf((await call(built, "listItems", { headers: { "x-versions": "1,two" } })).reply)).toEqual([{ in: "header", name: "X-Versions", pointer: "/1", message: "must be integer" }]);
    });

    it("checks the parameters a part is switched off for not at all", async () => {
      const relaxed = await build({ path: false, query: false, headers: false });
      expect((await call(relaxed, "listItems", { query: "limit=abc", headers: { "x-tenant": "ACME" } })).reply).toBeUndefined();
      expect((await call(relaxed, "getItem", { params: { itemId: "abc" } })).reply).toBeUndefined();
    });

    it("lets a CORS preflight for the operation through untouched", async () => {
      expect((await call(built, "listItems", { method: "OPTIONS", headers: { "x-tenant": undefined as unknown as string } })).reply).toBeUndefined();
    });
  });

  describe("bodies", () => {
    it("validates a JSON body against its schema, references followed, readOnly properties not required", async () => {
      const valid = await call(built, "createItem", { headers: json, body: JSON.stringify({ name: "pen", price: 2, tags: ["blue"], children: [{ name: "cap" }] }) });
      expect(valid).toEqual({ reply: undefined, readBody: true });
      const errors = errorsOf((await call(built, "createItem", { headers: json, body: JSON.stringify({ price: -1, tags: ["x".repeat(11)], children: [{ name: 5 }], count: 2 ** 40 }) })).reply);
      expect(errors).toEqual([
        { in: "body", pointer: "/name", message: "is required" },
        { in: "body", pointer: "/price", message: "must be >= 0" },
        { in: "body", pointer: "/count", message: 'must match format "int32"' },
        { in: "body", pointer: "/tags/0", message: "must NOT have more than 10 characters" },
        { in: "body", pointer: "/children/0/name", message: "must be string" },
      ]);
    });

    it("answers the detail with the first error and never echoes the values sent", async () => {
      const secret = "s3cr3t-value-".repeat(1_000);
      const { reply } = await call(built, "createItem", { headers: json, body: JSON.stringify({ name: 5, price: secret }) });
      expect(JSON.parse(reply!.body).detail).toBe("the request does not match the contract of createItem: body at /name must be string (and 1 more error)");
      expect(reply!.body).not.toContain("s3cr3t");
      expect(reply!.headers["content-type"]).toBe("application/problem+json");
    });

    it("answers 400 for malformed JSON or invalid UTF-8, without quoting the body", async () => {
      const malformed = await call(built, "createItem", { headers: json, body: '{"name": "pen", oops' });
      expect(errorsOf(malformed.reply)).toEqual([{ in: "body", pointer: "", message: "is not valid JSON" }]);
      expect(malformed.reply!.body).not.toContain("oops");
      expect(errorsOf((await call(built, "createItem", { headers: json, body: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]) })).reply)).toEqual([{ in: "body", pointer: "", message: "is not valid UTF-8" }]);
    });

    it("requires a declared required body, whether absent or empty", async () => {
      expect(errorsOf((await call(built, "createItem", { headers: { "idempotency-key": "k" } })).reply)).toEqual([{ in: "body", pointer: "", message: "is required" }]);
      expect(errorsOf((await call(built, "createItem", { headers: { ...json, "transfer-encoding": "chunked" }, body: "" })).reply)).toEqual([{ in: "body", pointer: "", message: "is required" }]);
    });

    it("reports bad parameters before reading the body", async () => {
      const result = await call(built, "createItem", { headers: { "content-type": "application/json" }, body: "{}" });
      expect(errorsOf(result.reply)).toEqual([
        { in: "header", name: "Idempotency-Key", pointer: "", message: "is required" },
      ]);
      expect(result.readBody).toBe(false);
    });

    it("answers 415 with the accepted types for a media type the operation does not declare", async () => {
      const { reply } = await call(built, "createItem", { headers: { ...json, "content-type": "application/xml" }, body: "<item/>" });
      expect(reply?.status).toBe(415);
      const body = JSON.parse(reply!.body) as Json;
      expect(body.type).toBe("https://turnpike.dev/problems/unsupported-media-type");
      expect(body.accepted).toEqual(["application/json", "application/x-www-form-urlencoded", "text/plain", "image/*"]);
      expect(reply!.headers["accept-post"]).toBe("application/json, application/x-www-form-urlencoded, text/plain, image/*");
      expect((await call(built, "createItem", { headers: { "idempotency-key": "k" }, body: "{}" })).reply?.status).toBe(415);
    });

    it("matches media types ignoring parameters and case, and through declared ranges", async () => {
      expect((await call(built, "createItem", { headers: { ...json, "content-type": "Application/JSON; charset=utf-8" }, body: '{"name":"pen"}' })).reply).toBeUndefined();
      const image = await call(built, "createItem", { headers: { ...json, "content-type": "image/png" }, body: Buffer.from([0x89, 0x50]) });
      expect(image).toEqual({ reply: undefined, readBody: false });
      expect((await call(built, "patchItem", { params: { itemId: "1" }, headers: { "content-type": "application/merge-patch+json" }, body: '{"name":"pen"}' })).reply).toBeUndefined();
      expect(errorsOf((await call(built, "patchItem", { params: { itemId: "1" }, headers: { "content-type": "application/merge-patch+json" }, body: '{"nam":"pen"}' })).reply)).toEqual([{ in: "body", pointer: "/nam", message: "is not allowed by the schema" }]);
      const patch = await call(built, "patchItem", { params: { itemId: "1" }, headers: { "content-type": "application/json" }, body: "{}" });
      expect(patch.reply?.status).toBe(415);
      expect(patch.reply!.headers["accept-patch"]).toBe("application/*+json");
    });

    it("validates form bodies with the same strict conversion as parameters", async () => {
      const form = { "content-type": "application/x-www-form-urlencoded", "idempotency-key": "k" };
      expect((await call(built, "createItem", { headers: form, body: "name=pen&price=2.5&tags=a&tags=b" })).reply).toBeUndefined();
      expect(errorsOf((await call(built, "createItem", { headers: form, body: "name=pen&price=cheap" })).reply)).toEqual([{ in: "body", pointer: "/price", message: "must be number" }]);
    });

    it("streams bodies it has no parser for, and refuses to validate a compressed one", async () => {
      expect(await call(built, "createItem", { headers: { ...json, "content-type": "text/plain" }, body: "longer than three" })).toEqual({ reply: undefined, readBody: false });
      const { reply } = await call(built, "createItem", { headers: { ...json, "content-encoding": "gzip" }, body: "\x1f\x8b" });
      expect(reply?.status).toBe(415);
      expect(reply!.headers["accept-encoding"]).toBe("identity");
    });

    it("answers 413 when the body is larger than the route buffers", async () => {
      const { reply } = await call(built, "createItem", { headers: json, body: JSON.stringify({ name: "x".repeat(100) }), maxBufferedBodyBytes: 50 });
      expect(reply?.status).toBe(413);
    });

    it("leaves bodies alone when body validation is off", async () => {
      const relaxed = await build({ body: false });
      expect(await call(relaxed, "createItem", { headers: { ...json, "content-type": "application/xml" }, body: "<x/>" })).toEqual({ reply: undefined, readBody: false });
    });

    it("lists at most 10 errors", async () => {
      const children = Array.from({ length: 25 }, () => ({ name: 1 }));
      const { reply } = await call(built, "createItem", { headers: json, body: JSON.stringify({ name: "pen", children }) });
      expect(errorsOf(reply)).toHaveLength(10);
      expect(JSON.parse(reply!.body).detail).toMatch(/\(and 9 more errors, possibly others not listed\)$/);
    });

    it("answers 400, not 500, for a body nested deeper than a recursive schema can follow", async () => {
      const depth = 100_000;
      const body = `${'{"name":"a","children":['.repeat(depth)}{"name":"leaf"}${"]}".repeat(depth)}`;
      expect(errorsOf((await call(built, "createItem", { headers: json, body, maxBufferedBodyBytes: 10_000_000 })).reply)).toEqual([{ in: "body", pointer: "", message: "is nested too deeply to validate" }]);
    });

    it("reads a form body that repeats one name many times in linear time", async () => {
      const form = { "content-type": "application/x-www-form-urlencoded", "idempotency-key": "k" };
      const started = performance.now();
      const { reply } = await call(built, "createItem", { headers: form, body: `name=pen${"&tags=a".repeat(100_000)}`, maxBufferedBodyBytes: 10_000_000 });
      expect(reply).toBeUndefined();
      expect(performance.now() - started).toBeLessThan(2_000);
    });

    it("lists only the first error of a large invalid body, so a hostile one costs no more than a valid one", async () => {
      const children = Array.from({ length: 20_000 }, () => ({ name: 1 }));
      const { reply } = await call(built, "createItem", { headers: json, body: JSON.stringify({ name: "pen", children }) });
      expect(errorsOf(reply)).toEqual([{ in: "body", pointer: "/children/0/name", message: "must be string" }]);
    });
  });

  describe("contracts", () => {
    it("reads OpenAPI 3.0: nullable, boolean exclusiveMinimum, nullable references", async () => {
      const contract = shopContract((document) => {
        document.openapi = "3.0.3";
        document.components.schemas.Item = {
          type: "object",
          required: ["name", "price"],
          properties: {
            name: { type: "string", nullable: true },
            price: { type: "number", minimum: 0, exclusiveMinimum: true },
            tag: { allOf: [{ $ref: "#/components/schemas/Tag" }], nullable: true },
            size: { type: "string", enum: ["s", "m"], nullable: true },
          },
        };
        delete document.paths["/items/{itemId}"].patch;
      });
      const legacy = await build({}, contract);
      expect(legacy.warnings).toEqual([]);
      expect((await call(legacy, "createItem", { headers: json, body: JSON.stringify({ name: null, price: 1, tag: null, size: null }) })).reply).toBeUndefined();
      expect(errorsOf((await call(legacy, "createItem", { headers: json, body: JSON.stringify({ name: "pen", price: 0 }) })).reply)).toEqual([{ in: "body", pointer: "/price", message: "must be > 0" }]);
    });

    it("compiles patterns that are only valid without the unicode flag, such as [\\w-.]", async () => {
      const contract = shopContract((document) => (document.components.schemas.Item.properties.name.pattern = "^[\\w-\\.]+$"));
      const legacy = await build({}, contract);
      expect(legacy.warnings).toEqual([]);
      expect((await call(legacy, "createItem", { headers: json, body: '{"name":"a-b.c"}' })).reply).toBeUndefined();
      expect(errorsOf((await call(legacy, "createItem", { headers: json, body: '{"name":"a b"}' })).reply)).toEqual([{ in: "body", pointer: "/name", message: 'must match pattern "^[\\w-\\.]+$"' }]);
    });

    it("warns at load about what it cannot enforce, and still checks the rest", async () => {
      const contract = shopContract((document) => {
        document.components.schemas.Item.properties.name.pattern = "(";
      });
      const partial = await build({}, contract);
      expect(partial.warnings.map((warning) => [warning.fields.operation, warning.fields.problems])).toEqual([["createItem", [expect.stringMatching(/^body \(application\/json\): Invalid regular expression/), expect.stringMatching(/^body \(application\/x-www-form-urlencoded\): /)]]]);
      expect(errorsOf((await call(partial, "createItem", { headers: { "content-type": "application/json" }, body: "{}" })).reply)).toEqual([{ in: "header", name: "Idempotency-Key", pointer: "", message: "is required" }]);
      expect((await call(partial, "createItem", { headers: json, body: '{"name": 1}' })).reply).toBeUndefined();
    });

    it("compiles every operation of its chain when the manifest is loaded, not per request", async () => {
      const fresh = await build();
      const compile = jest.spyOn(Object.getPrototypeOf(Ajv2020.prototype) as { compile: () => unknown }, "compile");
      for (let index = 0; index < 20; index++) await call(fresh, "createItem", { headers: json, body: '{"name":"pen"}' });
      expect(compile).not.toHaveBeenCalled();
      compile.mockRestore();
    });
  });

  describe("properties", () => {
    it("an integer query parameter accepts exactly the decimal integers in its range", async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.integer({ min: -1_000, max: 1_000 }).map(String), fc.string(), fc.stringMatching(/^-?\d{1,4}$/)), async (value) => {
          const { reply } = await call(built, "listItems", { query: `limit=${encodeURIComponent(value)}` });
          const expected = /^-?\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 100;
          expect(reply === undefined).toBe(expected);
        }),
        { numRuns: 300 },
      );
    });

    it("a comma-separated integer list is valid exactly when every item is a decimal integer", async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.oneof(fc.integer().map(String), fc.string({ unit: "grapheme-ascii" }).filter((text) => !text.includes(","))), { minLength: 1, maxLength: 6 }), async (items) => {
          const { reply } = await call(built, "listItems", { query: `ids=${encodeURIComponent(items.join(","))}` });
          // `ids=` is the empty list (form style), not a list of one empty item.
          const expected = items.join(",") === "" || items.every((item) => /^-?\d+$/.test(item));
          expect(reply === undefined).toBe(expected);
          if (!expected) expect(errorsOf(reply).every((error) => error.name === "ids" && /^\/\d+$/.test(error.pointer))).toBe(true);
        }),
        { numRuns: 200 },
      );
    });
  });
});
