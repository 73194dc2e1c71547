/**
 * `extractOperations()` on small bundled documents: parameters (path-level merged in, refs
 * resolved, serialization defaults written out), request bodies, responses, security
 * requirements and schemes; then once through the compiler on a fixture with shared files.
 */
import { join, resolve } from "node:path";
import { Api, OpenApi, Platform, apiKey, compileManifest } from "../../constructs/index";
import { type ContractOperation, extractOperations } from "../../constructs/contract/extract-operations";

type Json = Record<string, unknown>;

const ok = { "200": { description: "OK." } };

/** A bundled 3.1 document with `paths` and optional `components` and root-level fields. */
function contract(paths: Json, components: Json = {}, root: Json = {}): Json {
  return { openapi: "3.1.0", info: { title: "T", version: "1.0.0" }, ...root, paths, components };
}

function operations(document: Json): ContractOperation[] {
  return extractOperations(document, "contract.yaml").operations;
}

function only(document: Json): ContractOperation {
  const list = operations(document);
  expect(list).toHaveLength(1);
  return list[0]!;
}

describe("operations", () => {
  it("reads method (upper-case), path, operationId, summary, tags, deprecated and pointer, in method order, ignoring non-method keys", () => {
    const document = contract({
      "/items": {
        summary: "path summary",
        description: "not an operation",
        servers: [{ url: "http://x" }],
        "x-internal": { get: {} },
        trace: { operationId: "traceItems", responses: ok },
        patch: { operationId: "patchItems", responses: ok },
        head: { operationId: "headItems", responses: ok },
        options: { operationId: "optionsItems", responses: ok },
        delete: { operationId: "deleteItems", responses: ok },
        post: { operationId: "createItem", summary: "Create", tags: ["items", "write"], deprecated: true, responses: ok },
        put: { operationId: "putItems", responses: ok },
        get: { operationId: "listItems", responses: ok },
      },
    });
    const list = operations(document);
    expect(list.map((operation) => [operation.method, operation.path, operation.operationId, operation.pointer])).toEqual([
      ["GET", "/items", "listItems", "#/paths/~1items/get"],
      ["PUT", "/items", "putItems", "#/paths/~1items/put"],
      ["POST", "/items", "createItem", "#/paths/~1items/post"],
      ["DELETE", "/items", "deleteItems", "#/paths/~1items/delete"],
      ["OPTIONS", "/items", "optionsItems", "#/paths/~1items/options"],
      ["HEAD", "/items", "headItems", "#/paths/~1items/head"],
      ["PATCH", "/items", "patchItems", "#/paths/~1items/patch"],
      ["TRACE", "/items", "traceItems", "#/paths/~1items/trace"],
    ]);
    expect(list[2]).toMatchObject({ summary: "Create", tags: ["items", "write"], deprecated: true });
    expect(list[0]).toMatchObject({ summary: null, tags: [], deprecated: false, requestBody: null });
  });

  it("escapes / as ~1 and ~ as ~0 in the operation pointer", () => {
    const document = contract({
      "/users/{userId}/files/~backup": {
        parameters: [{ name: "userId", in: "path", required: true, schema: { type: "string" } }],
        get: { operationId: "getBackup", responses: ok },
      },
    });
    expect(only(document).pointer).toBe("#/paths/~1users~1{userId}~1files~1~0backup/get");
  });

  it("reads title and description from info, and empty strings when absent", () => {
    const facts = extractOperations({ openapi: "3.1.0", info: { title: "Orders", version: "1", description: "All orders." }, paths: {} }, undefined);
    expect([facts.title, facts.description, facts.operations, facts.problems, facts.securitySchemes]).toEqual(["Orders", "All orders.", [], [], {}]);
    const bare = extractOperations({ openapi: "3.1.0", info: { version: "1" } }, undefined);
    expect([bare.title, bare.description, bare.operations]).toEqual(["", "", []]);
  });

  it("follows a path item $ref into components/pathItems, path-level parameters included", () => {
    const document = contract(
      { "/items/{itemId}": { $ref: "#/components/pathItems/Item" } },
      {
        pathItems: {
          Item: {
            parameters: [{ name: "itemId", in: "path", required: true, schema: { type: "string" } }],
            get: { operationId: "getItem", responses: ok },
            delete: { operationId: "deleteItem", responses: ok },
          },
        },
      },
    );
    expect(operations(document).map((operation) => [operation.method, operation.operationId, operation.pointer, operation.parameters.map((parameter) => parameter.name)])).toEqual([
      ["GET", "getItem", "#/paths/~1items~1{itemId}/get", ["itemId"]],
      ["DELETE", "deleteItem", "#/paths/~1items~1{itemId}/delete", ["itemId"]],
    ]);
  });

  // Regression (fixed): deref() replaces a Path Item that has a `$ref` by the referenced object and drops its
  // sibling fields. OpenAPI 3.1 allows fields next to a Path Item `$ref` (only a field present on
  // both sides is undefined behaviour) and redocly accepts and bundles it, so here POST
  // /items disappears from the manifest without any diagnostic (it is never routed).
  it("keeps the operations written next to a path item $ref", () => {
    const document = contract(
      { "/items": { $ref: "#/components/pathItems/Items", post: { operationId: "createItem", responses: ok } } },
      { pathItems: { Items: { get: { operationId: "listItems", responses: ok } } } },
    );
    expect(operations(document).map((operation) => operation.operationId)).toEqual(["listItems", "createItem"]);
  });
});

describe("parameters", () => {
  it("merges path-level parameters with the operation's, the operation's winning on the same name and location", () => {
    const document = contract({
      "/items/{itemId}": {
        parameters: [
          { name: "itemId", in: "path", required: true, schema: { type: "string" } },
          { name: "verbose", in: "query", schema: { type: "boolean" } },
          { name: "trace", in: "header", schema: { type: "string" } },
        ],
        get: {
          operationId: "getItem",
          parameters: [
            { name: "verbose", in: "query", required: true, deprecated: true, schema: { type: "integer" } },
            { name: "trace", in: "query", schema: { type: "string" } },
            { name: "fields", in: "query", schema: { type: "string" } },
          ],
          responses: ok,
        },
        delete: { operationId: "deleteItem", responses: ok },
      },
    });
    const [getItem, deleteItem] = operations(document);
    expect(getItem!.parameters).toEqual([
      { name: "itemId", in: "path", required: true, deprecated: false, style: "simple", explode: false, schema: { type: "string" }, mediaType: null },
      { name: "verbose", in: "query", required: true, deprecated: true, style: "form", explode: true, schema: { type: "integer" }, mediaType: null },
      { name: "trace", in: "header", required: false, deprecated: false, style: "simple", explode: false, schema: { type: "string" }, mediaType: null },
      { name: "trace", in: "query", required: false, deprecated: false, style: "form", explode: true, schema: { type: "string" }, mediaType: null },
      { name: "fields", in: "query", required: false, deprecated: false, style: "form", explode: true, schema: { type: "string" }, mediaType: null },
    ]);
    expect(deleteItem!.parameters.map((parameter) => `${parameter.in}:${parameter.name}:${String(parameter.required)}:${JSON.stringify(parameter.schema)}`)).toEqual([
      'path:itemId:true:{"type":"string"}',
      'query:verbose:false:{"type":"boolean"}',
      'header:trace:false:{"type":"string"}',
    ]);
  });

  it("resolves $ref'd parameters, at path and operation level and through a chain of refs; an operation-level ref overrides a path-level one", () => {
    const document = contract(
      {
        "/items/{itemId}": {
          parameters: [{ $ref: "#/components/parameters/ItemId" }, { $ref: "#/components/parameters/Limit" }],
          get: { operationId: "getItem", parameters: [{ $ref: "#/components/parameters/StrictLimit" }, { $ref: "#/components/parameters/Alias" }], responses: ok },
        },
      },
      {
        parameters: {
          ItemId: { name: "itemId", in: "path", required: true, schema: { type: "string", format: "uuid" } },
          Limit: { name: "limit", in: "query", schema: { type: "integer" } },
          StrictLimit: { name: "limit", in: "query", required: true, schema: { type: "integer", maximum: 10 } },
          Alias: { $ref: "#/components/parameters/Tenant" },
          Tenant: { name: "X-Tenant", in: "header", required: true, schema: { type: "string" } },
        },
      },
    );
    expect(only(document).parameters).toEqual([
      { name: "itemId", in: "path", required: true, deprecated: false, style: "simple", explode: false, schema: { type: "string", format: "uuid" }, mediaType: null },
      { name: "limit", in: "query", required: true, deprecated: false, style: "form", explode: true, schema: { type: "integer", maximum: 10 }, mediaType: null },
      { name: "X-Tenant", in: "header", required: true, deprecated: false, style: "simple", explode: false, schema: { type: "string" }, mediaType: null },
    ]);
  });

  it("writes out the default style and explode of each location", () => {
    const document = contract({
      "/items/{itemId}": {
        get: {
          operationId: "getItem",
          parameters: [
            { name: "itemId", in: "path", required: true, schema: { type: "string" } },
            { name: "q", in: "query", schema: { type: "string" } },
            { name: "X-Trace", in: "header", schema: { type: "string" } },
            { name: "session", in: "cookie", schema: { type: "string" } },
          ],
          responses: ok,
        },
      },
    });
    expect(only(document).parameters.map((parameter) => [parameter.in, parameter.style, parameter.explode])).toEqual([
      ["path", "simple", false],
      ["query", "form", true],
      ["header", "simple", false],
      ["cookie", "form", true],
    ]);
  });

  it("keeps an explicit style, defaulting explode to true only for form, and keeps an explicit explode", () => {
    const document = contract({
      "/items/{itemId}": {
        get: {
          operationId: "getItem",
          parameters: [
            { name: "itemId", in: "path", required: true, style: "label", schema: { type: "array", items: { type: "string" } } },
            { name: "tags", in: "query", style: "form", schema: { type: "array", items: { type: "string" } } },
            { name: "ids", in: "query", style: "pipeDelimited", schema: { type: "array", items: { type: "string" } } },
            { name: "filter", in: "query", style: "deepObject", explode: true, schema: { type: "object" } },
            { name: "sort", in: "query", style: "form", explode: false, schema: { type: "array", items: { type: "string" } } },
            { name: "X-Ids", in: "header", explode: true, schema: { type: "array", items: { type: "string" } } },
          ],
          responses: ok,
        },
      },
    });
    expect(only(document).parameters.map((parameter) => [parameter.name, parameter.style, parameter.explode])).toEqual([
      ["itemId", "label", false],
      ["tags", "form", true],
      ["ids", "pipeDelimited", false],
      ["filter", "deepObject", true],
      ["sort", "form", false],
      ["X-Ids", "simple", true],
    ]);
  });

  it("sets mediaType and takes the schema from content for a content-described parameter", () => {
    const document = contract({
      "/search": {
        get: {
          operationId: "search",
          parameters: [
            { name: "where", in: "query", content: { "application/json": { schema: { type: "object", properties: { name: { type: "string" } } } } } },
            { name: "raw", in: "query", content: { "text/plain": {} } },
            { name: "plain", in: "query" },
          ],
          responses: ok,
        },
      },
    });
    expect(only(document).parameters).toEqual([
      { name: "where", in: "query", required: false, deprecated: false, style: "form", explode: true, schema: { type: "object", properties: { name: { type: "string" } } }, mediaType: "application/json" },
      { name: "raw", in: "query", required: false, deprecated: false, style: "form", explode: true, schema: null, mediaType: "text/plain" },
      { name: "plain", in: "query", required: false, deprecated: false, style: "form", explode: true, schema: null, mediaType: null },
    ]);
  });

  it("makes path parameters required whatever the contract says; other locations default to not required", () => {
    const document = contract({
      "/items/{itemId}": {
        get: {
          operationId: "getItem",
          parameters: [
            { name: "itemId", in: "path", required: false, schema: { type: "string" } },
            { name: "q", in: "query", required: true, schema: { type: "string" } },
            { name: "X-Optional", in: "header", schema: { type: "string" } },
            { name: "c", in: "cookie", required: "yes", schema: { type: "string" } },
          ],
          responses: ok,
        },
      },
    });
    expect(only(document).parameters.map((parameter) => [parameter.name, parameter.required])).toEqual([
      ["itemId", true],
      ["q", true],
      ["X-Optional", false],
      ["c", false],
    ]);
  });
});

describe("request bodies and responses", () => {
  it("resolves a $ref'd request body, keeping schema refs as they are", () => {
    const document = contract(
      { "/items": { post: { operationId: "createItem", requestBody: { $ref: "#/components/requestBodies/NewItem" }, responses: ok } } },
      {
        requestBodies: {
          NewItem: {
            required: true,
            content: { "application/json": { schema: { $ref: "#/components/schemas/Item" } }, "application/x-www-form-urlencoded": {} },
          },
        },
        schemas: { Item: { type: "object" } },
      },
    );
    expect(only(document).requestBody).toEqual({
      required: true,
      content: { "application/json": { schema: { $ref: "#/components/schemas/Item" } }, "application/x-www-form-urlencoded": { schema: null } },
    });
  });

  it("treats a request body without required as optional", () => {
    const document = contract({ "/items": { post: { operationId: "createItem", requestBody: { content: { "text/plain": { schema: { type: "string" } } } }, responses: ok } } });
    expect(only(document).requestBody).toEqual({ required: false, content: { "text/plain": { schema: { type: "string" } } } });
  });

  it("resolves $ref'd responses, lower-cases and sorts their header names, and writes empty content for bodiless responses", () => {
    const document = contract(
      {
        "/items": {
          post: {
            operationId: "createItem",
            responses: {
              "201": {
                description: "Created.",
                headers: { Location: { schema: { type: "string" } }, "X-RateLimit-Remaining": { $ref: "#/components/headers/Remaining" }, ETag: { schema: { type: "string" } } },
                content: { "application/json": { schema: { $ref: "#/components/schemas/Item" } } },
              },
              "204": { description: "Nothing." },
              "4XX": { $ref: "#/components/responses/Problem" },
              default: { $ref: "#/components/responses/Alias" },
            },
          },
        },
      },
      {
        headers: { Remaining: { schema: { type: "integer" } } },
        responses: {
          Problem: { description: "A problem.", headers: { "Retry-After": { schema: { type: "integer" } } }, content: { "application/problem+json": { schema: { type: "object" } } } },
          Alias: { $ref: "#/components/responses/Problem" },
        },
        schemas: { Item: { type: "object" } },
      },
    );
    expect(only(document).responses).toEqual([
      { status: "201", content: { "application/json": { schema: { $ref: "#/components/schemas/Item" } } }, headers: ["etag", "location", "x-ratelimit-remaining"] },
      { status: "204", content: {}, headers: [] },
      { status: "4XX", content: { "application/problem+json": { schema: { type: "object" } } }, headers: ["retry-after"] },
      { status: "default", content: { "application/problem+json": { schema: { type: "object" } } }, headers: ["retry-after"] },
    ]);
  });
});

describe("security requirements", () => {
  const schemes = {
    securitySchemes: {
      ApiKeyAuth: { type: "apiKey", in: "header", name: "X-API-Key" },
      OAuth: { type: "oauth2", flows: { clientCredentials: { tokenUrl: "https://auth/token", scopes: { "items:write": "w", "items:read": "r" } } } },
      Bearer: { type: "http", scheme: "bearer" },
    },
  };
  const get = (extra: Json = {}) => ({ get: { operationId: "listItems", responses: ok, ...extra } });
  const securityOf = (paths: Json, root: Json = {}) => only(contract(paths, schemes, root)).security;

  it("is null when the contract declares no security", () => {
    expect(securityOf({ "/items": get() })).toBeNull();
  });

  it("inherits root-level security", () => {
    expect(securityOf({ "/items": get() }, { security: [{ ApiKeyAuth: [] }] })).toEqual([[{ scheme: "ApiKeyAuth", scopes: [] }]]);
  });

  it("lets operation-level security override root-level security", () => {
    expect(securityOf({ "/items": get({ security: [{ OAuth: ["items:read"] }] }) }, { security: [{ ApiKeyAuth: [] }] })).toEqual([[{ scheme: "OAuth", scopes: ["items:read"] }]]);
  });

  it("gives [] for `security: []`, at operation level over a root requirement and at root level", () => {
    expect(securityOf({ "/items": get({ security: [] }) }, { security: [{ ApiKeyAuth: [] }] })).toEqual([]);
    expect(securityOf({ "/items": get() }, { security: [] })).toEqual([]);
  });

  it("gives an empty alternative for `{}` (anonymous allowed), keeping the order of the alternatives", () => {
    expect(securityOf({ "/items": get({ security: [{ OAuth: ["items:read"] }, {}] }) })).toEqual([[{ scheme: "OAuth", scopes: ["items:read"] }], []]);
  });

  it("sorts the scopes of a requirement and the requirements of an alternative by scheme name", () => {
    expect(securityOf({ "/items": get({ security: [{ OAuth: ["items:write", "items:admin", "items:read"], Bearer: [], ApiKeyAuth: [] }, { ApiKeyAuth: [] }] }) })).toEqual([
      [
        { scheme: "ApiKeyAuth", scopes: [] },
        { scheme: "Bearer", scopes: [] },
        { scheme: "OAuth", scopes: ["items:admin", "items:read", "items:write"] },
      ],
      [{ scheme: "ApiKeyAuth", scopes: [] }],
    ]);
  });

  it("reports a requirement naming an undefined scheme, at the operation's or the root's security", () => {
    const operationLevel = extractOperations(contract({ "/items": get({ security: [{ ApiKeyAuth: [] }, { Nope: [] }] }) }, schemes), "contract.yaml");
    expect(operationLevel.problems).toEqual([
      {
        severity: "error",
        code: "contract-invalid",
        message: 'security requirement names scheme "Nope", which components.securitySchemes does not define',
        file: "contract.yaml",
        pointer: "#/paths/~1items/get/security/1",
      },
    ]);
    expect(operationLevel.operations[0]!.security).toEqual([[{ scheme: "ApiKeyAuth", scopes: [] }], [{ scheme: "Nope", scopes: [] }]]);
    const rootLevel = extractOperations(contract({ "/items": get() }, schemes, { security: [{ ApiKeyAuth: [] }, { Missing: [] }] }), "contract.yaml");
    expect(rootLevel.problems.map((problem) => [problem.code, problem.pointer, problem.message])).toEqual([
      ["contract-invalid", "#/security/1", 'security requirement names scheme "Missing", which components.securitySchemes does not define'],
    ]);
  });

  // Regression (fixed): an undefined scheme named at root level is reported once per operation that
  // inherits it (identical problems), while an unsupported scheme is reported once. compileManifest
  // hides it because sortDiagnostics() drops identical diagnostics.
  it("reports an undefined scheme required at root level once, not once per operation", () => {
    const facts = extractOperations(contract({ "/items": { ...get(), post: { operationId: "createItem", responses: ok } } }, schemes, { security: [{ Missing: [] }] }), "contract.yaml");
    expect(facts.problems.map((problem) => problem.pointer)).toEqual(["#/security/0"]);
  });

  // Regression (fixed): the check is `!(scheme in securitySchemes)` on a plain object, so names inherited from
  // Object.prototype ("constructor", "toString", "hasOwnProperty", ...) count as defined: no
  // contract-invalid, and compile later says `security scheme "constructor" (undefined)`.
  it("reports a requirement naming an undefined scheme called like an Object.prototype member", () => {
    const facts = extractOperations(contract({ "/items": get({ security: [{ constructor: [] }] }) }, schemes), "contract.yaml");
    expect(facts.problems.map((problem) => [problem.code, problem.pointer])).toEqual([["contract-invalid", "#/paths/~1items/get/security/0"]]);
  });
});

describe("security schemes", () => {
  it("maps apiKey, http bearer, oauth2, openIdConnect and mutualTLS schemes, following $refs", () => {
    const facts = extractOperations(
      contract(
        {},
        {
          securitySchemes: {
            HeaderKey: { type: "apiKey", in: "header", name: "X-API-Key" },
            QueryKey: { type: "apiKey", in: "query", name: "api_key" },
            CookieKey: { type: "apiKey", in: "cookie", name: "sid" },
            Jwt: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
            Opaque: { type: "http", scheme: "Bearer" },
            OAuth: {
              type: "oauth2",
              flows: {
                clientCredentials: { tokenUrl: "https://auth.example/token", scopes: { "orders:write": "Write", "orders:read": "Read" } },
                authorizationCode: { authorizationUrl: "https://auth.example/authorize", tokenUrl: "https://auth.example/token", scopes: { "orders:read": "Read", "admin": "Admin" } },
              },
            },
            Oidc: { type: "openIdConnect", openIdConnectUrl: "https://auth.example/.well-known/openid-configuration" },
            Mtls: { type: "mutualTLS", description: "Client certificates." },
            Aliased: { $ref: "#/components/securitySchemes/HeaderKey" },
          },
        },
      ),
      undefined,
    );
    expect(facts.securitySchemes).toEqual({
      HeaderKey: { type: "apiKey", in: "header", name: "X-API-Key" },
      QueryKey: { type: "apiKey", in: "query", name: "api_key" },
      CookieKey: { type: "apiKey", in: "cookie", name: "sid" },
      Jwt: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
      Opaque: { type: "http", scheme: "bearer", bearerFormat: null },
      OAuth: { type: "oauth2", flows: ["authorizationCode", "clientCredentials"], scopes: ["admin", "orders:read", "orders:write"] },
      Oidc: { type: "openIdConnect", openIdConnectUrl: "https://auth.example/.well-known/openid-configuration" },
      Mtls: { type: "mutualTLS" },
      Aliased: { type: "apiKey", in: "header", name: "X-API-Key" },
    });
    expect(facts.problems).toEqual([]);
  });

  it("leaves an unsupported scheme (http basic, digest) out and says nothing while no operation uses it", () => {
    const facts = extractOperations(
      contract(
        { "/items": { get: { operationId: "listItems", security: [{ Key: [] }], responses: ok } } },
        { securitySchemes: { Key: { type: "apiKey", in: "header", name: "X-API-Key" }, Basic: { type: "http", scheme: "basic" }, Digest: { type: "http", scheme: "digest" } } },
      ),
      "contract.yaml",
    );
    expect(facts.securitySchemes).toEqual({ Key: { type: "apiKey", in: "header", name: "X-API-Key" } });
    expect(facts.problems).toEqual([]);
  });

  it("reports an unsupported scheme once, at the scheme, naming the first operation using it", () => {
    const facts = extractOperations(
      contract(
        {
          "/items": {
            get: { operationId: "listItems", responses: ok },
            post: { operationId: "createItem", security: [{ Basic: [] }], responses: ok },
          },
          "/health": { get: { operationId: "getHealth", security: [], responses: ok } },
        },
        { securitySchemes: { Basic: { type: "http", scheme: "basic" }, "a/b": { type: "http", scheme: "digest" } } },
        { security: [{ "a/b": [] }, { Basic: [] }] },
      ),
      "contract.yaml",
    );
    expect(facts.problems).toEqual([
      {
        severity: "error",
        code: "unsupported-security-scheme",
        message: 'listItems requires security scheme "a/b" (http digest), which the gateway cannot enforce',
        expected: "apiKey (header or query), http bearer, oauth2, openIdConnect or mutualTLS",
        received: "http digest",
        file: "contract.yaml",
        pointer: "#/components/securitySchemes/a~1b",
        fix: "use an apiKey, bearer (JWT) or mutualTLS scheme",
      },
      {
        severity: "error",
        code: "unsupported-security-scheme",
        message: 'listItems requires security scheme "Basic" (http basic), which the gateway cannot enforce',
        expected: "apiKey (header or query), http bearer, oauth2, openIdConnect or mutualTLS",
        received: "http basic",
        file: "contract.yaml",
        pointer: "#/components/securitySchemes/Basic",
        fix: "use an apiKey, bearer (JWT) or mutualTLS scheme",
      },
    ]);
    // The requirements are still read, so the operations' security is complete.
    expect(facts.operations.map((operation) => [operation.operationId, operation.security])).toEqual([
      ["listItems", [[{ scheme: "a/b", scopes: [] }], [{ scheme: "Basic", scopes: [] }]]],
      ["createItem", [[{ scheme: "Basic", scopes: [] }]]],
      ["getHealth", []],
    ]);
  });
});

describe("through the compiler", () => {
  it("writes the operations of a 3.0 contract with shared parameters and responses into the manifest", async () => {
    const root = resolve(__dirname, "../..");
    const platform = new Platform("acme", { rootDir: root });
    new Api(platform, "items", {
      version: "1.0.0",
      contract: OpenApi.fromFile(join(root, "test/fixtures/contracts/items-3.0.yaml")),
      upstream: { targets: [{ url: "http://items.internal:8080" }] },
      policies: [apiKey()],
    });
    const { manifest, diagnostics } = await compileManifest(platform);
    expect(diagnostics.filter((diagnostic) => diagnostic.severity === "error")).toEqual([]);
    const api = manifest!.spec.apis[0]!;
    expect(api.securitySchemes).toEqual({ ApiKeyAuth: { type: "apiKey", in: "header", name: "X-API-Key" } });
    expect(api.operations.map(({ policies, ...operation }) => operation)).toEqual([
      {
        operationId: "listItems",
        method: "GET",
        path: "/items",
        route: "/items/v1/items",
        summary: "List items",
        tags: [],
        deprecated: false,
        parameters: [{ name: "limit", in: "query", required: false, deprecated: false, style: "form", explode: true, schema: { type: "integer", minimum: 1 }, mediaType: null }],
        requestBody: null,
        responses: [{ status: "200", content: { "application/json": { schema: { type: "array", items: { $ref: "#/components/schemas/Item" } } } }, headers: [] }],
        security: [[{ scheme: "ApiKeyAuth", scopes: [] }]],
      },
      {
        operationId: "getItem",
        method: "GET",
        path: "/items/{itemId}",
        route: "/items/v1/items/{itemId}",
        summary: "Get an item",
        tags: [],
        deprecated: false,
        parameters: [
          { name: "itemId", in: "path", required: true, deprecated: false, style: "simple", explode: false, schema: { type: "string" }, mediaType: null },
          { name: "X-Trace-Id", in: "header", required: false, deprecated: false, style: "simple", explode: false, schema: { type: "string" }, mediaType: null },
        ],
        requestBody: null,
        responses: [
          { status: "200", content: { "application/json": { schema: { $ref: "#/components/schemas/Item" } } }, headers: [] },
          { status: "404", content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } }, headers: ["x-request-id"] },
        ],
        security: [[{ scheme: "ApiKeyAuth", scopes: [] }]],
      },
    ]);
    expect(api.operations.map((operation) => operation.policies)).toEqual([["items-v1/apiKey"], ["items-v1/apiKey"]]);
  });
});
