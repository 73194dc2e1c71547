/**
 * Small declarations for tests: an inline OpenAPI 3.1 contract and a platform around it, so
 * each test states only what it is about.
 */
import {
  type ApiProps,
  Api,
  type CompileResult,
  type Diagnostic,
  type DiagnosticCode,
  OpenApi,
  Platform,
  type PlatformProps,
  apiKey,
  compileManifest,
} from "../../constructs/index";
import type { GatewayConfig, Operation, PolicyInstance } from "../../constructs/manifest/schema";

type Json = Record<string, unknown>;

/**
 * An "items" contract: `listItems` (GET /items), `createItem` (POST /items), `getItem`
 * (GET /items/{itemId}), `deleteItem` (DELETE /items/{itemId}) behind an `ApiKeyAuth`
 * header key, and a public `getHealth` (GET /health, `security: []`).
 */
export function itemsContract(changes: (document: Json) => void = () => {}): Json {
  const problem = { description: "A problem.", content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } };
  const document: Json = {
    openapi: "3.1.0",
    info: { title: "Items API", version: "1.0.0", description: "Items for tests." },
    security: [{ ApiKeyAuth: [] }],
    paths: {
      "/items": {
        get: {
          operationId: "listItems",
          summary: "List items",
          parameters: [{ name: "limit", in: "query", schema: { type: "integer", minimum: 1 } }],
          responses: { "200": { description: "Items.", content: { "application/json": { schema: { type: "array", items: { $ref: "#/components/schemas/Item" } } } } }, "400": problem },
        },
        post: {
          operationId: "createItem",
          summary: "Create an item",
          parameters: [{ name: "Idempotency-Key", in: "header", required: true, schema: { type: "string" } }],
          requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/Item" } } } },
          responses: { "201": { description: "Created.", headers: { Location: { schema: { type: "string" } } }, content: { "application/json": { schema: { $ref: "#/components/schemas/Item" } } } }, "400": problem },
        },
      },
      "/items/{itemId}": {
        parameters: [{ name: "itemId", in: "path", required: true, schema: { type: "string" } }],
        get: { operationId: "getItem", summary: "Get an item", responses: { "200": { description: "An item.", content: { "application/json": { schema: { $ref: "#/components/schemas/Item" } } } }, "404": problem } },
        delete: { operationId: "deleteItem", summary: "Delete an item", responses: { "204": { description: "Deleted." }, "404": problem } },
      },
      "/health": {
        get: { operationId: "getHealth", summary: "Health", security: [], responses: { "200": { description: "Healthy.", content: { "application/json": { schema: { type: "object" } } } } } },
      },
    },
    components: {
      schemas: {
        Item: { type: "object", required: ["name"], properties: { id: { type: "string", readOnly: true }, name: { type: "string" } } },
        Problem: { type: "object", properties: { type: { type: "string" }, title: { type: "string" }, status: { type: "integer" } } },
      },
      securitySchemes: { ApiKeyAuth: { type: "apiKey", in: "header", name: "X-API-Key" } },
    },
  };
  changes(document);
  return document;
}

/** A platform for tests; contract paths are relative to the repository root. */
export function testPlatform(props: PlatformProps = {}, id = "acme"): Platform {
  return new Platform(id, { rootDir: `${__dirname}/../..`, ...props });
}

/**
 * An Api on the items contract with one upstream target and, unless props say otherwise,
 * the `apiKey()` policy its contract's security requires.
 */
export function itemsApi(scope: Platform, id = "items", props: Partial<ApiProps> = {}): Api {
  return new Api(scope, id, {
    version: "1.0.0",
    contract: OpenApi.fromDocument(itemsContract()),
    upstream: { targets: [{ url: "http://items.internal:8080" }] },
    policies: [apiKey()],
    ...props,
  });
}

/** Compiles and fails the test with the diagnostics if the manifest is missing. */
export async function compileOk(platform: Platform): Promise<GatewayConfig> {
  const result = await compileManifest(platform);
  if (!result.manifest) throw new Error(`expected the declaration to compile:\n${JSON.stringify(result.diagnostics, null, 2)}`);
  return result.manifest;
}

/** Compiles a declaration that must fail; returns its errors. */
export async function compileErrors(platform: Platform): Promise<Diagnostic[]> {
  const result: CompileResult = await compileManifest(platform);
  if (result.manifest) throw new Error("expected compile errors, but the declaration compiled");
  return result.diagnostics.filter((diagnostic) => diagnostic.severity === "error");
}

export function withCode(diagnostics: readonly Diagnostic[], code: DiagnosticCode): Diagnostic[] {
  return diagnostics.filter((diagnostic) => diagnostic.code === code);
}

export function operation(manifest: GatewayConfig, apiId: string, operationId: string): Operation {
  const api = manifest.spec.apis.find((candidate) => candidate.id === apiId);
  const found = api?.operations.find((candidate) => candidate.operationId === operationId);
  if (!found) throw new Error(`no operation ${apiId}/${operationId} in the manifest`);
  return found;
}

/** The resolved chain of an operation: its policy instances in execution order. */
export function chainOf(manifest: GatewayConfig, apiId: string, operationId: string): PolicyInstance[] {
  const byId = new Map(manifest.spec.policies.map((instance) => [instance.id, instance]));
  return operation(manifest, apiId, operationId).policies.map((id) => byId.get(id)!);
}
