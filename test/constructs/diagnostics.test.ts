/**
 * One test per kind of compile error (and warning), asserting the message a user reads.
 * The last test checks that every diagnostic code has a case here.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Construct } from "constructs";
import {
  Api,
  Consumer,
  Credential,
  DIAGNOSTIC_CODES,
  type Diagnostic,
  type DiagnosticCode,
  OpenApi,
  Plan,
  Platform,
  Product,
  Secret,
  apiKey,
  cache,
  compileManifest,
  rateLimit,
} from "../../constructs/index";
import { rateLimitPolicy } from "../../policies/rate-limit/schema";
import { itemsApi, itemsContract, testPlatform } from "../helpers/declaration";

const covered = new Set<DiagnosticCode>();

/** Compiles and returns the first diagnostic with `code`, recording the code as covered. */
async function first(platform: Platform, code: DiagnosticCode): Promise<Diagnostic> {
  const { diagnostics } = await compileManifest(platform);
  const found = diagnostics.find((diagnostic) => diagnostic.code === code);
  if (!found) throw new Error(`no ${code} diagnostic in ${JSON.stringify(diagnostics, null, 2)}`);
  covered.add(code);
  return found;
}

function contractFile(name: string, text: string): { platform: Platform; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "turnpike-contract-"));
  const file = join(dir, name);
  writeFileSync(file, text);
  return { platform: new Platform("acme", { rootDir: dir }), file };
}

describe("compile errors, one per kind", () => {
  it("invalid-props: a prop of the wrong type names the field, expected and got", async () => {
    const platform = testPlatform();
    itemsApi(platform, "items", { upstream: { targets: [{ url: "http://a", weight: "2" as never }] } });
    expect(await first(platform, "invalid-props")).toEqual({
      severity: "error", code: "invalid-props", path: "acme/items", field: "upstream.targets[0].weight",
      message: "Invalid input: expected number, received string", expected: "number", received: '"2"',
    });
  });

  it("invalid-props: an unknown prop gets a did-you-mean", async () => {
    const platform = testPlatform();
    itemsApi(platform, "items", { upstream: { targets: [{ url: "http://a" }], timeout: 5 } as never });
    expect(await first(platform, "invalid-props")).toMatchObject({ field: "upstream.timeout", message: 'unknown property "timeout"', fix: 'did you mean "timeoutMs"?' });
  });

  it("invalid-policy: bad options are reported at the declaration's position", async () => {
    const platform = testPlatform();
    itemsApi(platform, "items", { policies: [apiKey(), rateLimit({ requests: 10, perSecond: 1 } as never)] });
    expect(await first(platform, "invalid-policy")).toEqual({
      severity: "error", code: "invalid-policy", path: "acme/items/policies[1]", field: "perSecond",
      message: 'rateLimit: unknown property "perSecond"', expected: 'one of "requests", "perSeconds", "burst", "key", "headers" and "onStoreUnavailable"', fix: 'did you mean "perSeconds"?',
    });
  });

  it("unknown-policy: a name in excludePolicies that is no policy", async () => {
    const platform = testPlatform();
    itemsApi(platform, "items", { excludePolicies: ["ratelimit"] });
    expect(await first(platform, "unknown-policy")).toMatchObject({ path: "acme/items", field: "excludePolicies[0]", message: 'unknown policy "ratelimit"', fix: 'did you mean "rateLimit"?' });
  });

  it("policy-not-attachable: a policy at a level it cannot act at", async () => {
    const platform = testPlatform({ policies: [cache()] });
    itemsApi(platform);
    expect(await first(platform, "policy-not-attachable")).toMatchObject({ path: "acme/policies[0]", message: "cache cannot be attached to a platform", expected: "attached to api and operation" });
  });

  it("duplicate-policy: one slot declared twice at one level", async () => {
    const platform = testPlatform();
    itemsApi(platform, "items", { policies: [apiKey(), rateLimit({ requests: 1 }), rateLimit({ requests: 2 })] });
    expect(await first(platform, "duplicate-policy")).toMatchObject({ path: "acme/items/policies[2]", fix: "merge them, or give them different `key`s (consumer, ip, global)" });
  });

  it("unknown-exclusion: excluding a policy that is not inherited", async () => {
    const platform = testPlatform();
    itemsApi(platform, "items", { excludePolicies: ["cors"] });
    expect((await first(platform, "unknown-exclusion")).message).toBe('excludes "cors", but no cors policy is inherited here, so the exclusion does nothing');
  });

  it("unknown-operation: an operationId that is not in the contract", async () => {
    const platform = testPlatform();
    itemsApi(platform, "items", { operations: { getitem: {} } });
    expect(await first(platform, "unknown-operation")).toMatchObject({ message: 'operationId "getitem" is not in the contract (inline)', fix: 'did you mean "getItem"?' });
  });

  it("contract-not-found: the file does not exist", async () => {
    const { platform, file } = contractFile("x.yaml", "");
    itemsApi(platform, "items", { contract: OpenApi.fromFile(`${file}.missing`) });
    expect(await first(platform, "contract-not-found")).toMatchObject({ path: "acme/items", field: "contract", file: "x.yaml.missing", message: "contract file x.yaml.missing does not exist" });
  });

  it("contract-unparsable: YAML that does not parse, with line and column", async () => {
    const { platform, file } = contractFile("broken.yaml", "openapi: 3.1.0\ninfo: {title: x\n  version: [\n");
    itemsApi(platform, "items", { contract: OpenApi.fromFile(file) });
    const diagnostic = await first(platform, "contract-unparsable");
    expect(diagnostic).toMatchObject({ file: "broken.yaml", line: 3 });
    expect(diagnostic.message).toMatch(/^contract file broken\.yaml cannot be parsed: /);
  });

  it("contract-unsupported-version: Swagger 2.0", async () => {
    const { platform, file } = contractFile("swagger.json", JSON.stringify({ swagger: "2.0", info: { title: "x", version: "1" }, paths: {} }));
    itemsApi(platform, "items", { contract: OpenApi.fromFile(file) });
    expect(await first(platform, "contract-unsupported-version")).toMatchObject({
      message: "swagger.json is not an OpenAPI 3.0 or 3.1 document", expected: 'openapi: "3.0.x" or "3.1.x"', received: "swagger 2.0", pointer: "#/openapi",
    });
  });

  it("contract-invalid: a structural error with file, pointer and line", async () => {
    const document = itemsContract((doc) => {
      (doc.paths as Record<string, Record<string, Record<string, unknown>>>)["/items"]!.get!.parameters = [{ name: "limit", in: "body" }];
    });
    const { platform, file } = contractFile("items.json", JSON.stringify(document, null, 2));
    itemsApi(platform, "items", { contract: OpenApi.fromFile(file) });
    const { diagnostics } = await compileManifest(platform);
    covered.add("contract-invalid");
    expect(diagnostics.filter((diagnostic) => diagnostic.code === "contract-invalid").map((diagnostic) => [diagnostic.pointer, diagnostic.message, diagnostic.file, diagnostic.line])).toEqual([
      ["#/paths/~1items/get/parameters/0", "Must contain at least one of the following fields: schema, content. (struct)", "items.json", 19],
      ["#/paths/~1items/get/parameters/0/in", '`in` can be one of the following only: "query", "header", "path", "cookie". (struct)', "items.json", 21],
    ]);
  });

  it("missing-operation-id: declarations refer to operations by operationId", async () => {
    const document = itemsContract((doc) => {
      delete (doc.paths as Record<string, Record<string, Record<string, unknown>>>)["/health"]!.get!.operationId;
    });
    const platform = testPlatform();
    itemsApi(platform, "items", { contract: OpenApi.fromDocument(document) });
    expect(await first(platform, "missing-operation-id")).toMatchObject({ pointer: "#/paths/~1health/get/operationId", fix: "give every operation an operationId: declarations refer to operations by it" });
  });

  it("unsupported-security-scheme: HTTP basic", async () => {
    const document = itemsContract((doc) => {
      (doc.components as { securitySchemes: Record<string, unknown> }).securitySchemes.Basic = { type: "http", scheme: "basic" };
      doc.security = [{ Basic: [] }];
    });
    const platform = testPlatform();
    itemsApi(platform, "items", { contract: OpenApi.fromDocument(document) });
    expect(await first(platform, "unsupported-security-scheme")).toMatchObject({
      message: 'listItems requires security scheme "Basic" (http basic), which the gateway cannot enforce', received: "http basic", pointer: "#/components/securitySchemes/Basic",
    });
  });

  it("missing-auth-policy: the contract requires a scheme no policy enforces", async () => {
    const platform = testPlatform();
    itemsApi(platform, "items", { policies: [] });
    expect((await first(platform, "missing-auth-policy")).message).toMatch(/^the contract requires security scheme "ApiKeyAuth" \(apiKey\) on .* but no policy enforces it: the gateway would let anyone in$/);
  });

  it("duplicate-name: two plans named alike in different scopes", async () => {
    const platform = testPlatform();
    new Plan(platform, "free");
    new Plan(new Construct(platform, "team"), "free");
    expect((await first(platform, "duplicate-name")).message).toBe('plan name "free" is already used by acme/free; plans are referenced by name, so names are unique in the platform');
  });

  it("duplicate-api-version: one name and major version declared twice", async () => {
    const platform = testPlatform();
    itemsApi(platform, "items");
    itemsApi(platform, "items-too", { name: "items", version: "1.1.0", basePath: "/items/too" });
    expect((await first(platform, "duplicate-api-version")).message).toBe("acme/items already declares items major version 1 (1.0.0); one major version of an API is one construct");
  });

  it("duplicate-base-path: two APIs under one prefix", async () => {
    const platform = testPlatform();
    itemsApi(platform, "a", { basePath: "/shared" });
    itemsApi(platform, "b", { basePath: "/shared" });
    expect((await first(platform, "duplicate-base-path")).message).toBe("base path /shared is also used by acme/a");
  });

  it("route-conflict: one method and path pattern served by two APIs", async () => {
    const platform = testPlatform();
    itemsApi(platform, "a", { basePath: "/x" });
    itemsApi(platform, "b", { basePath: "/x/items", contract: OpenApi.fromDocument(itemsContract((doc) => {
      doc.paths = { "/{id}": { delete: { operationId: "removeItem", security: [], parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }], responses: { "204": { description: "gone" } } } } };
    })) });
    expect((await first(platform, "route-conflict")).message).toBe("DELETE /x/items/{id} (removeItem) collides with DELETE /x/items/{itemId} (deleteItem of a-v1)");
  });

  it("lifecycle: a deprecated API without a sunset date", async () => {
    const platform = testPlatform();
    const v2 = itemsApi(platform, "v2", { name: "items", version: "2.0.0" });
    itemsApi(platform, "v1", { name: "items", lifecycle: "retired", successor: v2 });
    new Api(platform, "self", { version: "1.0.0", contract: OpenApi.fromDocument(itemsContract()), upstream: { mock: true }, policies: [apiKey()], lifecycle: "deprecated", sunset: "2030-01-01", successor: itemsApi(platform, "draft", { lifecycle: "draft" }) });
    expect((await first(platform, "lifecycle")).message).toBe("the successor acme/draft is draft; consumers sent there could not use it");
  });

  it("foreign-construct: a reference into another platform", async () => {
    const platform = testPlatform();
    const elsewhere = new Platform("elsewhere", { rootDir: platform.rootDir });
    new Product(platform, "shop", { apis: [itemsApi(platform)], plans: [new Plan(elsewhere, "free")] });
    expect((await first(platform, "foreign-construct")).message).toBe("elsewhere/free belongs to another Platform; a declaration only references constructs of its own platform");
  });

  it("unknown-plan: a subscription to a plan the product does not offer", async () => {
    const platform = testPlatform();
    const product = new Product(platform, "shop", { apis: [itemsApi(platform)], plans: [new Plan(platform, "free")] });
    new Consumer(platform, "web", { subscriptions: [{ product, plan: "fre" }] });
    expect(await first(platform, "unknown-plan")).toMatchObject({ message: 'product "shop" does not offer plan "fre"', fix: 'did you mean "free"?' });
  });

  it("ambiguous-subscription: two plans could apply to one API", async () => {
    const platform = testPlatform();
    const free = new Plan(platform, "free");
    const product = new Product(platform, "shop", { apis: [itemsApi(platform)], plans: [free] });
    new Consumer(platform, "web", { subscriptions: [{ product, plan: free }, { product, plan: free }] });
    expect((await first(platform, "ambiguous-subscription")).message).toBe('subscribes to product "shop" twice; the gateway could not tell which plan\'s limits apply');
  });

  it("unused (warning): a plan nobody can subscribe to", async () => {
    const platform = testPlatform();
    new Plan(platform, "free");
    expect(await first(platform, "unused")).toMatchObject({ severity: "warning", message: 'plan "free" is not offered by any product, so no consumer can subscribe to it' });
  });

  it("internal: a compiler bug is reported as one, not as the user's fault", async () => {
    const platform = testPlatform();
    itemsApi(platform, "items", { policies: [apiKey(), rateLimit({ requests: 1 })] });
    const spy = jest.spyOn(rateLimitPolicy, "resolve").mockReturnValue({} as never);
    try {
      const diagnostic = await first(platform, "internal");
      expect(diagnostic.message).toMatch(/^the compiled manifest fails its schema \(.*\); this is a Turnpike bug, please report it$/);
    } finally {
      spy.mockRestore();
    }
  });

  it("covers every diagnostic code", () => {
    expect([...covered].sort()).toEqual([...DIAGNOSTIC_CODES].sort());
  });
});

it("collects every problem of a declaration in one pass", async () => {
  const platform = testPlatform();
  const items = itemsApi(platform, "items", { operations: { nope: {} } });
  const product = new Product(platform, "shop", { apis: [items], plans: [new Plan(platform, "free", { rateLimit: { requests: -1 } })] });
  new Consumer(platform, "web", { subscriptions: [{ product, plan: "gold" }], credentials: [Credential.apiKey({ secret: Secret.fromEnv("1BAD") })] });
  itemsApi(platform, "broken", { version: "one", upstream: { targets: [] }, operations: { gone: {} } });
  const { diagnostics, manifest } = await compileManifest(platform);
  expect(manifest).toBeUndefined();
  expect(diagnostics.map((diagnostic) => `${diagnostic.code} ${diagnostic.path}${diagnostic.field ? ` ${diagnostic.field}` : ""}`)).toEqual([
    "unknown-operation acme/broken operations.gone",
    "invalid-props acme/broken upstream.targets",
    "invalid-props acme/broken version",
    "invalid-policy acme/free/rateLimit requests",
    "unknown-operation acme/items operations.nope",
    "invalid-props acme/web credentials[0].secret.name",
    "unknown-plan acme/web subscriptions[0].plan",
  ]);
});
