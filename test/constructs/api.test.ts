/** Api: props, defaults written out, versions side by side, lifecycle rules. */
import { Api, OpenApi, Plan, Product, compileManifest } from "../../constructs/index";
import { compileErrors, compileOk, itemsApi, itemsContract, testPlatform, withCode } from "../helpers/declaration";

describe("Api", () => {
  it("compiles to an API with its id, base path, contract facts and every upstream default written out", async () => {
    const platform = testPlatform();
    itemsApi(platform, "items", { owner: "team-items", tags: ["b", "a", "b"] });
    const manifest = await compileOk(platform);
    const [api] = manifest.spec.apis;
    expect(api).toMatchObject({
      id: "items-v1",
      name: "items",
      version: "1.0.0",
      majorVersion: 1,
      title: "Items API",
      description: "Items for tests.",
      owner: "team-items",
      tags: ["a", "b"],
      lifecycle: "published",
      deprecatedSince: null,
      sunset: null,
      successor: null,
      basePath: "/items/v1",
      declaredAt: "acme/items",
    });
    expect(api!.upstream).toEqual({
      targets: [{ url: "http://items.internal:8080", weight: 1 }],
      failover: [],
      mock: false,
      loadBalancing: "round-robin",
      connectTimeoutMs: 5_000,
      timeoutMs: 30_000,
      perTryTimeoutMs: 30_000,
      maxConnectionsPerTarget: 128,
      retries: { maxRetries: 0, retryOn: ["connect-failure", "reset", "503"], budgetPercent: 20, backoffBaseMs: 25, backoffMaxMs: 250 },
      circuitBreaker: null,
      healthCheck: null,
      outlierDetection: null,
      hostHeader: "target",
      encodedSlashes: "reject",
      tlsCa: null,
    });
    expect(api!.operations.map((operation) => `${operation.method} ${operation.route} ${operation.operationId}`)).toEqual([
      "GET /items/v1/health getHealth",
      "GET /items/v1/items listItems",
      "POST /items/v1/items createItem",
      "DELETE /items/v1/items/{itemId} deleteItem",
      "GET /items/v1/items/{itemId} getItem",
    ]);
  });

  it("fills optional upstream features with their defaults when declared as {}", async () => {
    const platform = testPlatform();
    itemsApi(platform, "items", {
      upstream: { targets: [{ url: "http://a:1" }], circuitBreaker: {}, healthCheck: { path: "/healthz" }, outlierDetection: {}, perTryTimeoutMs: 1_000, timeoutMs: 2_000 },
    });
    const { upstream } = (await compileOk(platform)).spec.apis[0]!;
    expect(upstream.circuitBreaker).toEqual({ consecutiveFailures: 5, openMs: 30_000, halfOpenRequests: 1 });
    expect(upstream.healthCheck).toEqual({ path: "/healthz", intervalMs: 10_000, timeoutMs: 2_000, healthyThreshold: 2, unhealthyThreshold: 3 });
    expect(upstream.outlierDetection).toEqual({ consecutiveErrors: 5, ejectionMs: 30_000, maxEjectionPercent: 50 });
    expect(upstream.perTryTimeoutMs).toBe(1_000);
  });

  it("takes title and description from the declaration over the contract", async () => {
    const platform = testPlatform();
    itemsApi(platform, "items", { title: "Inventory", description: "Declared." });
    const [api] = (await compileOk(platform)).spec.apis;
    expect([api!.title, api!.description]).toEqual(["Inventory", "Declared."]);
  });

  it("serves two major versions of one API side by side on their own base paths", async () => {
    const platform = testPlatform();
    const v2 = itemsApi(platform, "items-v2", { name: "items", version: "2.3.1" });
    itemsApi(platform, "items-v1", { name: "items", version: "1.9.0", lifecycle: "deprecated", sunset: "2027-01-31", deprecatedSince: "2026-06-01", successor: v2 });
    const manifest = await compileOk(platform);
    expect(manifest.spec.apis.map((api) => [api.id, api.basePath, api.lifecycle, api.successor, api.sunset])).toEqual([
      ["items-v1", "/items/v1", "deprecated", "items-v2", "2027-01-31"],
      ["items-v2", "/items/v2", "published", null, null],
    ]);
  });

  it("rejects a second construct for the same name and major version", async () => {
    const platform = testPlatform();
    itemsApi(platform, "items", { version: "1.0.0" });
    itemsApi(platform, "items-again", { name: "items", version: "1.2.0", basePath: "/items-again" });
    const [error] = withCode(await compileErrors(platform), "duplicate-api-version");
    expect(error).toMatchObject({ path: "acme/items-again", field: "version", received: "1.2.0" });
    expect(error!.message).toMatch(/acme\/items already declares items major version 1 \(1\.0\.0\)/);
    expect(error!.fix).toMatch(/bump the major version/);
  });

  it("rejects two APIs on one base path", async () => {
    const platform = testPlatform();
    itemsApi(platform, "items");
    itemsApi(platform, "stock", { basePath: "/items/v1" });
    const [error] = withCode(await compileErrors(platform), "duplicate-base-path");
    expect(error).toMatchObject({ path: "acme/stock", field: "basePath" });
    expect(error!.message).toBe("base path /items/v1 is also used by acme/items");
  });

  it("rejects routes of two APIs that would shadow each other", async () => {
    const platform = testPlatform();
    itemsApi(platform, "items", { basePath: "/shop" });
    itemsApi(platform, "stock", {
      basePath: "/shop/items",
      contract: OpenApi.fromDocument(itemsContract((doc) => {
        doc.paths = {
          "/{sku}": { get: { operationId: "getStock", security: [], parameters: [{ name: "sku", in: "path", required: true, schema: { type: "string" } }], responses: { "200": { description: "ok" } } } },
        };
      })),
    });
    const [error] = withCode(await compileErrors(platform), "route-conflict");
    expect(error!.message).toBe("GET /shop/items/{sku} (getStock) collides with GET /shop/items/{itemId} (getItem of items-v1)");
  });

  it("rejects routes under /_turnpike/, where the gateway serves its admin and portal APIs", async () => {
    const platform = testPlatform();
    itemsApi(platform, "items", { basePath: "/_turnpike/items" });
    expect(withCode(await compileErrors(platform), "route-conflict")).toEqual([
      expect.objectContaining({
        path: "acme/items",
        field: "basePath",
        message: "every operation of items-v1 would be served under /_turnpike/, where the gateway serves its admin and portal APIs",
        fix: "give the API a basePath outside /_turnpike/",
      }),
    ]);
  });

  describe("lifecycle", () => {
    it("requires a sunset date on a deprecated API", async () => {
      const platform = testPlatform();
      itemsApi(platform, "items", { lifecycle: "deprecated" });
      const [error] = await compileErrors(platform);
      expect(error).toMatchObject({ code: "invalid-props", path: "acme/items", field: "sunset" });
      expect(error!.message).toMatch(/a deprecated API needs a sunset date/);
    });

    it("refuses a sunset on a published API and a malformed date", async () => {
      const platform = testPlatform();
      itemsApi(platform, "items", { sunset: "2027-01-01" });
      itemsApi(platform, "other", { basePath: "/other", lifecycle: "deprecated", sunset: "31/01/2027" });
      const errors = await compileErrors(platform);
      expect(errors.map((error) => [error.path, error.field, error.message])).toEqual([
        ["acme/items", "sunset", "a published API has no sunset; deprecate it first"],
        ["acme/other", "sunset", "a date is written YYYY-MM-DD"],
      ]);
    });

    it("refuses deprecatedSince after sunset", async () => {
      const platform = testPlatform();
      itemsApi(platform, "items", { lifecycle: "deprecated", sunset: "2027-01-01", deprecatedSince: "2027-02-01" });
      const [error] = await compileErrors(platform);
      expect(error).toMatchObject({ field: "deprecatedSince", message: "deprecatedSince is after sunset" });
    });

    it("refuses a successor that is retired, a draft or the API itself", async () => {
      const platform = testPlatform();
      const retired = itemsApi(platform, "old", { basePath: "/old", lifecycle: "retired" });
      const draft = itemsApi(platform, "next", { basePath: "/next", lifecycle: "draft" });
      itemsApi(platform, "a", { basePath: "/a", lifecycle: "deprecated", sunset: "2030-01-01", successor: retired });
      itemsApi(platform, "b", { basePath: "/b", lifecycle: "deprecated", sunset: "2030-01-01", successor: draft });
      const self: { api?: Api } = {};
      self.api = itemsApi(platform, "c", { basePath: "/c", lifecycle: "deprecated", sunset: "2030-01-01", successor: retired });
      (self.api.declaration as { successor: Api }).successor = self.api;
      const errors = withCode(await compileErrors(platform), "lifecycle");
      expect(errors.map((error) => [error.path, error.message])).toEqual([
        ["acme/a", "the successor acme/old is retired; consumers sent there could not use it"],
        ["acme/b", "the successor acme/next is draft; consumers sent there could not use it"],
        ["acme/c", "an API cannot be its own successor"],
      ]);
      expect(errors[1]!.fix).toBe("publish next first");
    });

    it("warns when a retired API names no successor", async () => {
      const platform = testPlatform();
      itemsApi(platform, "items", { lifecycle: "retired" });
      const result = await compileManifest(platform);
      expect(result.diagnostics).toEqual([
        expect.objectContaining({ severity: "warning", code: "lifecycle", path: "acme/items", field: "successor" }),
      ]);
      expect(result.manifest?.spec.apis[0]!.lifecycle).toBe("retired");
    });
  });

  it("rejects an unknown operationId in `operations` with a did-you-mean", async () => {
    const platform = testPlatform();
    itemsApi(platform, "items", { operations: { creatItem: {} } });
    const [error] = await compileErrors(platform);
    expect(error).toEqual({
      severity: "error",
      code: "unknown-operation",
      path: "acme/items",
      field: "operations.creatItem",
      message: 'operationId "creatItem" is not in the contract (inline)',
      expected: 'one of "createItem", "deleteItem", "getHealth", "getItem" and "listItems"',
      received: '"creatItem"',
      fix: 'did you mean "createItem"?',
    });
  });

  it("validates props at construction and reports them all at compile", async () => {
    const platform = testPlatform();
    new Api(platform, "Bad_Name", {
      version: "1.0",
      contract: "orders.yaml" as never,
      upstream: { targets: [{ url: "ftp://x" }], timeoutMs: -1 },
      basePath: "orders/",
    });
    const errors = await compileErrors(platform);
    expect(errors.map((error) => [error.field, error.message])).toEqual([
      ["basePath", "a base path is /segment[/segment...] without a trailing slash, e.g. /orders/v1"],
      ["contract", 'a contract is OpenApi.fromFile("path/to/openapi.yaml")'],
      ["name", 'name "Bad_Name" is not usable in URLs, metric labels and Kubernetes names: lower-case letters, digits and -, starting with a letter and not ending with -'],
      ["upstream.targets[0].url", "an upstream URL is http(s)://host[:port][/path prefix], without query, fragment or credentials"],
      ["upstream.timeoutMs", "Too small: expected number to be >0"],
      ["version", "a semantic version MAJOR.MINOR.PATCH, e.g. 1.4.0"],
    ]);
    expect(errors.find((error) => error.field === "name")!.fix).toBe('use "bad-name"');
  });

  it("requires targets unless the upstream is a mock", async () => {
    const platform = testPlatform();
    itemsApi(platform, "items", { upstream: { targets: [] } });
    itemsApi(platform, "mocked", { basePath: "/mocked", upstream: { mock: true } });
    const errors = await compileErrors(platform);
    expect(errors.map((error) => [error.path, error.field, error.message])).toEqual([
      ["acme/items", "upstream.targets", "an upstream needs at least one target, or `mock: true`"],
    ]);
  });

  it("warns about a published API that no product offers", async () => {
    const platform = testPlatform();
    itemsApi(platform, "items");
    const result = await compileManifest(platform);
    expect(result.diagnostics).toEqual([expect.objectContaining({ severity: "warning", code: "unused", path: "acme/items", message: "items-v1 is published but in no product, so consumers cannot subscribe to it" })]);
  });

  it("is offered without warnings once in a product", async () => {
    const platform = testPlatform();
    new Product(platform, "shop", { apis: [itemsApi(platform)], plans: [new Plan(platform, "free")] });
    expect((await compileManifest(platform)).diagnostics).toEqual([]);
  });
});
