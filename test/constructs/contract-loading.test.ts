/**
 * Loading contracts through the public API: `OpenApi.fromFile()` / `OpenApi.fromDocument()`
 * on an `Api`, compiled with `compileManifest()`. Valid contracts (3.0 YAML and 3.1 JSON with
 * shared files two levels deep, 3.1 `components/pathItems`) are bundled into the manifest;
 * broken ones give one diagnostic each on the Api's `contract` field, with file, pointer and
 * position. Fixtures live in test/fixtures/contracts.
 */
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Api, type CompileResult, type Diagnostic, OpenApi, Platform, apiKey, compileManifest } from "../../constructs/index";
import type { GatewayConfig } from "../../constructs/manifest/schema";
import { compactCanonicalJson, sha256Hex } from "../../constructs/manifest/canonical-json";
import { itemsContract } from "../helpers/declaration";

const REPO_ROOT = resolve(__dirname, "../..");
const FIXTURES = "test/fixtures/contracts";
const BROKEN = `${FIXTURES}/broken`;

type Json = Record<string, unknown>;

/** Absolute path of a fixture given relative to the repository root. */
function absolute(path: string): string {
  return join(REPO_ROOT, path);
}

function platform(): Platform {
  return new Platform("acme", { rootDir: REPO_ROOT });
}

/** An Api on `contract`, with the apiKey() policy every fixture's `ApiKeyAuth` scheme needs. */
function api(scope: Platform, id: string, contract: OpenApi, props: { version?: string } = {}): Api {
  return new Api(scope, id, {
    version: props.version ?? "1.0.0",
    contract,
    upstream: { targets: [{ url: "http://items.internal:8080" }] },
    policies: [apiKey()],
  });
}

/** Compiles one Api on a fixture file. */
async function compileFixture(path: string): Promise<CompileResult> {
  const scope = platform();
  api(scope, "items", OpenApi.fromFile(absolute(path)));
  return compileManifest(scope);
}

function manifestOf(result: CompileResult): GatewayConfig {
  if (!result.manifest) throw new Error(`expected the declaration to compile:\n${JSON.stringify(result.diagnostics, null, 2)}`);
  return result.manifest;
}

function errorsOf(result: CompileResult): Diagnostic[] {
  expect(result.manifest).toBeUndefined();
  expect(result.json).toBeUndefined();
  return result.diagnostics.filter((diagnostic) => diagnostic.severity === "error");
}

/** Every `$ref` value anywhere in `value`. */
function refsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value as Json).flatMap(([key, child]) => (key === "$ref" && typeof child === "string" ? [child] : refsIn(child)));
}

/** Follows a local `#/...` JSON pointer in `document`. */
function at(document: Json, ref: string): unknown {
  let target: unknown = document;
  for (const segment of ref.slice(2).split("/")) target = (target as Json)[segment.replace(/~1/g, "/").replace(/~0/g, "~")];
  return target;
}

describe("valid contracts", () => {
  it("bundles an OpenAPI 3.0.3 YAML contract whose schemas, parameters and responses live in a shared file, two levels deep", async () => {
    const manifest = manifestOf(await compileFixture(`${FIXTURES}/items-3.0.yaml`));
    const [compiled] = manifest.spec.apis;
    const { contract } = compiled!;
    expect(contract.source).toBe("test/fixtures/contracts/items-3.0.yaml");
    expect(contract.openapi).toBe("3.0.3");
    expect(contract.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(contract.sha256).toBe(sha256Hex(compactCanonicalJson(contract.document)));

    const document = contract.document;
    const refs = refsIn(document);
    expect(refs.length).toBeGreaterThan(0);
    expect(refs.filter((ref) => !ref.startsWith("#/"))).toEqual([]);
    // Every bundled reference points at something that exists in the document.
    expect(refs.filter((ref) => at(document, ref) === undefined)).toEqual([]);

    const components = document.components as Record<string, Json>;
    expect(Object.keys(components).sort()).toEqual(["parameters", "responses", "schemas", "securitySchemes"]);
    expect(Object.keys(components.schemas!).sort()).toEqual(["Item", "Money", "Problem"]);
    expect(Object.keys(components.parameters!).sort()).toEqual(["ItemId", "Limit", "TraceId"]);
    expect(Object.keys(components.responses!)).toEqual(["NotFound"]);
    // types.yaml is reached only through components.yaml: the second-level refs are bundled too.
    expect((components.schemas!.Item as { properties: Json }).properties.price).toEqual({ $ref: "#/components/schemas/Money" });
    expect(components.schemas!.Money).toEqual({
      type: "object",
      required: ["amount", "currency"],
      properties: { amount: { type: "number" }, currency: { type: "string", pattern: "^[A-Z]{3}$" } },
    });
    expect((document.paths as Record<string, Json>)["/items/{itemId}"]!.parameters).toEqual([{ $ref: "#/components/parameters/ItemId" }]);

    expect(compiled!.operations.map((operation) => [operation.method, operation.path, operation.operationId])).toEqual([
      ["GET", "/items", "listItems"],
      ["GET", "/items/{itemId}", "getItem"],
    ]);
    expect(compiled!.title).toBe("Items (3.0)");
  });

  it("bundles an OpenAPI 3.1.0 JSON contract that shares the same files", async () => {
    const manifest = manifestOf(await compileFixture(`${FIXTURES}/items-3.1.json`));
    const { contract, operations } = manifest.spec.apis[0]!;
    expect(contract.source).toBe("test/fixtures/contracts/items-3.1.json");
    expect(contract.openapi).toBe("3.1.0");
    expect(contract.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(contract.sha256).toBe(sha256Hex(compactCanonicalJson(contract.document)));
    const refs = refsIn(contract.document);
    expect(refs.filter((ref) => !ref.startsWith("#/"))).toEqual([]);
    expect(refs.filter((ref) => at(contract.document, ref) === undefined)).toEqual([]);
    const components = contract.document.components as Record<string, Json>;
    expect(Object.keys(components.schemas!).sort()).toEqual(["Item", "Money", "Problem"]);
    expect(Object.keys(components.parameters!)).toEqual(["ItemId"]);
    expect(Object.keys(components.responses!)).toEqual(["NotFound"]);
    expect(components.responses!.NotFound).toEqual({
      description: "Not found.",
      headers: { "X-Request-Id": { schema: { type: "string" } } },
      content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
    });

    const [createItem, deleteItem] = operations;
    expect(createItem).toMatchObject({
      operationId: "createItem",
      method: "POST",
      requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/Item" } } } },
    });
    expect(deleteItem).toMatchObject({
      operationId: "deleteItem",
      method: "DELETE",
      parameters: [{ name: "itemId", in: "path", required: true, deprecated: false, style: "simple", explode: false, schema: { type: "string" }, mediaType: null }],
      responses: [
        { status: "204", content: {}, headers: [] },
        { status: "404", content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } }, headers: ["x-request-id"] },
      ],
    });
  });

  it("gives the same bundle for the shared components whether the root is YAML or JSON", async () => {
    const yaml = manifestOf(await compileFixture(`${FIXTURES}/items-3.0.yaml`)).spec.apis[0]!.contract.document.components as Record<string, Json>;
    const json = manifestOf(await compileFixture(`${FIXTURES}/items-3.1.json`)).spec.apis[0]!.contract.document.components as Record<string, Json>;
    expect(json.schemas).toEqual(yaml.schemas);
    expect(json.responses).toEqual(yaml.responses);
    expect(json.parameters!.ItemId).toEqual(yaml.parameters!.ItemId);
  });

  it("reads operations out of 3.1 components/pathItems references, path-level parameters included", async () => {
    const manifest = manifestOf(await compileFixture(`${FIXTURES}/path-items-3.1.yaml`));
    const { contract, operations } = manifest.spec.apis[0]!;
    expect(contract.openapi).toBe("3.1.0");
    expect(contract.document.paths).toEqual({ "/items": { $ref: "#/components/pathItems/Items" }, "/items/{itemId}": { $ref: "#/components/pathItems/Item" } });
    expect(operations.map((operation) => ({ id: operation.operationId, method: operation.method, route: operation.route, parameters: operation.parameters.map((parameter) => `${parameter.in}:${parameter.name}`) }))).toEqual([
      { id: "listItems", method: "GET", route: "/items/v1/items", parameters: [] },
      { id: "getItem", method: "GET", route: "/items/v1/items/{itemId}", parameters: ["path:itemId"] },
    ]);
  });

  it("writes the source relative to rootDir, whatever directory the platform's rootDir is", async () => {
    const scope = new Platform("acme", { rootDir: absolute("test") });
    api(scope, "items", OpenApi.fromFile(absolute(`${FIXTURES}/items-3.0.yaml`)));
    const manifest = manifestOf(await compileManifest(scope));
    expect(manifest.spec.apis[0]!.contract.source).toBe("fixtures/contracts/items-3.0.yaml");
  });

  it("loads a file shared by two APIs once and gives both the same bundled document", async () => {
    const scope = platform();
    api(scope, "one", OpenApi.fromFile(absolute(`${FIXTURES}/items-3.0.yaml`)));
    api(scope, "two", OpenApi.fromFile(absolute(`${FIXTURES}/items-3.0.yaml`)));
    const manifest = manifestOf(await compileManifest(scope));
    const [one, two] = manifest.spec.apis;
    expect([one!.id, two!.id]).toEqual(["one-v1", "two-v1"]);
    expect(two!.contract).toEqual(one!.contract);
  });
});

describe("relative contract paths", () => {
  const cwd = process.cwd();
  afterEach(() => process.chdir(cwd));

  it("resolves a relative OpenApi.fromFile path against the working directory at the time of the call", async () => {
    process.chdir(absolute(FIXTURES));
    const contract = OpenApi.fromFile("items-3.0.yaml");
    // Changing directory afterwards does not move the contract.
    process.chdir(tmpdir());
    expect(contract.file).toBe(absolute(`${FIXTURES}/items-3.0.yaml`));
    const scope = platform();
    api(scope, "items", contract);
    const manifest = manifestOf(await compileManifest(scope));
    expect(manifest.spec.apis[0]!.contract.source).toBe("test/fixtures/contracts/items-3.0.yaml");
  });

  it("does not find the same relative path from another working directory", async () => {
    process.chdir(REPO_ROOT);
    const scope = platform();
    api(scope, "items", OpenApi.fromFile("items-3.0.yaml"));
    const [error, ...others] = errorsOf(await compileManifest(scope));
    expect(others).toEqual([]);
    expect(error).toEqual({
      severity: "error",
      code: "contract-not-found",
      path: "acme/items",
      field: "contract",
      file: "items-3.0.yaml",
      message: "contract file items-3.0.yaml does not exist",
      fix: "check the path given to OpenApi.fromFile(); relative paths are resolved against the directory turnpike runs in",
    });
  });
});

describe("inline contracts", () => {
  it("compiles OpenApi.fromDocument with a null source, the openapi version and the hash of the document", async () => {
    const scope = platform();
    api(scope, "items", OpenApi.fromDocument(itemsContract()));
    const manifest = manifestOf(await compileManifest(scope));
    const { contract } = manifest.spec.apis[0]!;
    expect(contract.source).toBeNull();
    expect(contract.openapi).toBe("3.1.0");
    expect(contract.document).toEqual(itemsContract());
    expect(contract.sha256).toBe(sha256Hex(compactCanonicalJson(itemsContract())));
  });

  it("copies the document when called, so later changes to the object do not reach the manifest", async () => {
    const document = itemsContract();
    const contract = OpenApi.fromDocument(document);
    (document.info as Json).title = "Changed";
    const scope = platform();
    api(scope, "items", contract);
    const manifest = manifestOf(await compileManifest(scope));
    expect(manifest.spec.apis[0]!.title).toBe("Items API");
    expect((manifest.spec.apis[0]!.contract.document.info as Json).title).toBe("Items API");
  });

  it("reports problems of an inline contract without file or position", async () => {
    const scope = platform();
    api(scope, "items", OpenApi.fromDocument(itemsContract((document) => {
      delete ((document.paths as Record<string, Json>)["/items"]!.post as Json).operationId;
    })));
    const errors = errorsOf(await compileManifest(scope));
    expect(errors).toEqual([
      {
        severity: "error",
        code: "missing-operation-id",
        path: "acme/items",
        field: "contract",
        pointer: "#/paths/~1items/post/operationId",
        message: expect.stringMatching(/operationId.*\(operation-operationId\)$/),
        fix: "give every operation an operationId: declarations refer to operations by it",
      },
    ]);
    expect([errors[0]!.file, errors[0]!.line, errors[0]!.column]).toEqual([undefined, undefined, undefined]);
  });

  it("rejects an inline document that is not OpenAPI 3", async () => {
    const scope = platform();
    api(scope, "items", OpenApi.fromDocument({ swagger: "2.0", info: { title: "x", version: "1" }, paths: {} }));
    expect(errorsOf(await compileManifest(scope))).toEqual([
      {
        severity: "error",
        code: "contract-unsupported-version",
        path: "acme/items",
        field: "contract",
        message: "the inline contract is not an OpenAPI 3.0 or 3.1 document",
        expected: 'openapi: "3.0.x" or "3.1.x"',
        received: "swagger 2.0",
        pointer: "#/openapi",
        fix: "convert the Swagger 2.0 file to OpenAPI 3 (e.g. with swagger2openapi)",
      },
    ]);
  });

  it("rejects an OpenAPI version other than 3.0 and 3.1", async () => {
    const scope = platform();
    api(scope, "items", OpenApi.fromDocument(itemsContract((document) => void (document.openapi = "3.2.0"))));
    const [error, ...others] = errorsOf(await compileManifest(scope));
    expect(others).toEqual([]);
    expect(error).toMatchObject({ code: "contract-unsupported-version", received: "3.2.0", pointer: "#/openapi", fix: undefined });
  });

  // Regression (fixed): compile-manifest dedups contract problems by `${file}|${pointer}|${message}` to report a
  // shared file's problems once; inline contracts have no file, so the key is the same for two
  // unrelated inline contracts and the second API's problem is silently dropped.
  it("reports the same problem in two different inline contracts on each API", async () => {
    const broken = () => itemsContract((document) => {
      delete ((document.paths as Record<string, Json>)["/health"]!.get as Json).operationId;
    });
    const scope = platform();
    api(scope, "one", OpenApi.fromDocument(broken()));
    api(scope, "two", OpenApi.fromDocument(broken()));
    const errors = errorsOf(await compileManifest(scope));
    expect(errors.map((error) => [error.code, error.path, error.pointer])).toEqual([
      ["missing-operation-id", "acme/one", "#/paths/~1health/get/operationId"],
      ["missing-operation-id", "acme/two", "#/paths/~1health/get/operationId"],
    ]);
  });
});

describe("broken contracts", () => {
  it("contract-not-found: a root file that does not exist", async () => {
    expect(errorsOf(await compileFixture(`${FIXTURES}/does-not-exist.yaml`))).toEqual([
      {
        severity: "error",
        code: "contract-not-found",
        path: "acme/items",
        field: "contract",
        file: "test/fixtures/contracts/does-not-exist.yaml",
        message: "contract file test/fixtures/contracts/does-not-exist.yaml does not exist",
        fix: "check the path given to OpenApi.fromFile(); relative paths are resolved against the directory turnpike runs in",
      },
    ]);
  });

  it("contract-unparsable: a YAML syntax error, with line and column and without the absolute path", async () => {
    const errors = errorsOf(await compileFixture(`${BROKEN}/syntax-error.yaml`));
    expect(errors).toEqual([
      {
        severity: "error",
        code: "contract-unparsable",
        path: "acme/items",
        field: "contract",
        file: "test/fixtures/contracts/broken/syntax-error.yaml",
        line: 12,
        column: 6,
        message: expect.stringMatching(/^contract file test\/fixtures\/contracts\/broken\/syntax-error\.yaml cannot be parsed: bad indentation of a mapping entry/),
      },
    ]);
    expect(errors[0]!.message).not.toContain(REPO_ROOT);
  });

  it("contract-unsupported-version: a Swagger 2.0 file", async () => {
    expect(errorsOf(await compileFixture(`${BROKEN}/swagger-2.0.yaml`))).toEqual([
      {
        severity: "error",
        code: "contract-unsupported-version",
        path: "acme/items",
        field: "contract",
        file: "test/fixtures/contracts/broken/swagger-2.0.yaml",
        pointer: "#/openapi",
        message: "test/fixtures/contracts/broken/swagger-2.0.yaml is not an OpenAPI 3.0 or 3.1 document",
        expected: 'openapi: "3.0.x" or "3.1.x"',
        received: "swagger 2.0",
        fix: "convert the Swagger 2.0 file to OpenAPI 3 (e.g. with swagger2openapi)",
      },
    ]);
  });

  it("contract-invalid: a 3.1 parameter `in: body`, with pointer, line and column", async () => {
    expect(errorsOf(await compileFixture(`${BROKEN}/struct-error-3.1.yaml`))).toEqual([
      {
        severity: "error",
        code: "contract-invalid",
        path: "acme/items",
        field: "contract",
        file: "test/fixtures/contracts/broken/struct-error-3.1.yaml",
        pointer: "#/paths/~1items/get/parameters/0/in",
        line: 11,
        column: 15,
        message: expect.stringMatching(/^`in` can be one of the following only: "query", "header", "path", "cookie"\. \(struct\)$/),
      },
    ]);
  });

  it("contract-invalid: a $ref to a shared file that does not exist, at the $ref", async () => {
    const errors = errorsOf(await compileFixture(`${BROKEN}/missing-ref-file.yaml`));
    expect(errors).toEqual([
      {
        severity: "error",
        code: "contract-invalid",
        path: "acme/items",
        field: "contract",
        file: "test/fixtures/contracts/broken/missing-ref-file.yaml",
        pointer: "#/paths/~1items/get/responses/200/content/application~1json/schema",
        line: 15,
        column: 17,
        message: expect.stringMatching(/^Can't resolve \$ref: ENOENT.*does-not-exist\.yaml.*\(no-unresolved-refs\)$/),
      },
    ]);
  });

  it("missing-operation-id: an operation without operationId (YAML)", async () => {
    expect(errorsOf(await compileFixture(`${BROKEN}/missing-operation-id.yaml`))).toEqual([
      {
        severity: "error",
        code: "missing-operation-id",
        path: "acme/items",
        field: "contract",
        file: "test/fixtures/contracts/broken/missing-operation-id.yaml",
        pointer: "#/paths/~1items/post/operationId",
        line: 12,
        column: 5,
        message: expect.stringMatching(/`operationId`.*\(operation-operationId\)$/),
        fix: "give every operation an operationId: declarations refer to operations by it",
      },
    ]);
  });

  it("missing-operation-id: an operation without operationId (JSON), with line and column in the JSON file", async () => {
    expect(errorsOf(await compileFixture(`${BROKEN}/missing-operation-id.json`))).toEqual([
      {
        severity: "error",
        code: "missing-operation-id",
        path: "acme/items",
        field: "contract",
        file: "test/fixtures/contracts/broken/missing-operation-id.json",
        pointer: "#/paths/~1items/get/operationId",
        line: 6,
        column: 7,
        message: expect.stringMatching(/`operationId`.*\(operation-operationId\)$/),
        fix: "give every operation an operationId: declarations refer to operations by it",
      },
    ]);
  });

  it("contract-invalid: two operations with one operationId, at the second", async () => {
    const errors = errorsOf(await compileFixture(`${BROKEN}/duplicate-operation-ids.yaml`));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      code: "contract-invalid",
      path: "acme/items",
      field: "contract",
      file: "test/fixtures/contracts/broken/duplicate-operation-ids.yaml",
      line: 14,
      column: 7,
    });
    expect(errors[0]!.pointer).toMatch(/^#\/paths\/~1things\/get\//);
    expect(errors[0]!.message).toMatch(/unique `operationId`.*\(operation-operationId-unique\)$/);
  });

  // Regression (fixed; passed through from @redocly/openapi-core's operation-operationId-unique rule, which
  // reports `location.child([operation.operationId])`): the pointer names a member called
  // after the operationId's value, `#/paths/~1things/get/getThing`, which does not exist.
  it("points a duplicate operationId at the operationId field", async () => {
    const [error] = errorsOf(await compileFixture(`${BROKEN}/duplicate-operation-ids.yaml`));
    expect(error!.pointer).toBe("#/paths/~1things/get/operationId");
  });

  it("contract-invalid: a path parameter the operation does not declare", async () => {
    expect(errorsOf(await compileFixture(`${BROKEN}/undeclared-path-parameter.yaml`))).toEqual([
      {
        severity: "error",
        code: "contract-invalid",
        path: "acme/items",
        field: "contract",
        file: "test/fixtures/contracts/broken/undeclared-path-parameter.yaml",
        pointer: "#/paths/~1items~1{itemId}/get/parameters",
        line: 7,
        column: 5,
        message: expect.stringMatching(/path parameter `\{itemId\}`.*\(path-parameters-defined\)$/),
      },
    ]);
  });

  it("unsupported-security-scheme: HTTP basic used by operations, reported once at the scheme; an unused digest scheme is not reported", async () => {
    const errors = errorsOf(await compileFixture(`${BROKEN}/basic-auth.yaml`));
    expect(errors.filter((error) => error.field === "contract")).toEqual([
      {
        severity: "error",
        code: "unsupported-security-scheme",
        path: "acme/items",
        field: "contract",
        file: "test/fixtures/contracts/broken/basic-auth.yaml",
        pointer: "#/components/securitySchemes/BasicAuth",
        message: 'listItems requires security scheme "BasicAuth" (http basic), which the gateway cannot enforce',
        expected: "apiKey (header or query), http bearer, oauth2, openIdConnect or mutualTLS",
        received: "http basic",
        fix: "use an apiKey, bearer (JWT) or mutualTLS scheme",
      },
    ]);
    expect(errors.map((error) => error.code).sort()).toEqual(["missing-auth-policy", "unsupported-security-scheme"]);
    expect(JSON.stringify(errors)).not.toContain("DigestAuth");
  });

  it("contract-invalid: an operation requiring a security scheme that is not defined", async () => {
    const errors = errorsOf(await compileFixture(`${BROKEN}/undefined-security-scheme.yaml`));
    expect(errors.filter((error) => error.field === "contract")).toEqual([
      {
        severity: "error",
        code: "contract-invalid",
        path: "acme/items",
        field: "contract",
        file: "test/fixtures/contracts/broken/undefined-security-scheme.yaml",
        pointer: "#/paths/~1items/get/security/1",
        message: 'security requirement names scheme "OAuth", which components.securitySchemes does not define',
      },
    ]);
  });

  it("a problem inside a shared file names that file, with its pointer and position", async () => {
    expect(errorsOf(await compileFixture(`${BROKEN}/shared-problem-a.yaml`))).toEqual([
      {
        severity: "error",
        code: "contract-invalid",
        path: "acme/items",
        field: "contract",
        file: "test/fixtures/contracts/broken/shared/bad-components.yaml",
        pointer: "#/parameters/Filter/in",
        line: 5,
        column: 9,
        message: expect.stringMatching(/^`in` can be one of the following only: .*\(struct\)$/),
      },
    ]);
  });

  it("a problem in a shared file used by two APIs is reported once, on the first API", async () => {
    const scope = platform();
    api(scope, "a", OpenApi.fromFile(absolute(`${BROKEN}/shared-problem-a.yaml`)));
    api(scope, "b", OpenApi.fromFile(absolute(`${BROKEN}/shared-problem-b.yaml`)));
    const errors = errorsOf(await compileManifest(scope));
    expect(errors.map((error) => [error.code, error.path, error.file, error.pointer])).toEqual([
      ["contract-invalid", "acme/a", "test/fixtures/contracts/broken/shared/bad-components.yaml", "#/parameters/Filter/in"],
    ]);
  });

  it("a broken root file used by two APIs is reported once", async () => {
    const scope = platform();
    api(scope, "a", OpenApi.fromFile(absolute(`${BROKEN}/struct-error-3.1.yaml`)));
    api(scope, "b", OpenApi.fromFile(absolute(`${BROKEN}/struct-error-3.1.yaml`)));
    const errors = errorsOf(await compileManifest(scope));
    expect(errors.map((error) => [error.code, error.path, error.pointer])).toEqual([["contract-invalid", "acme/a", "#/paths/~1items/get/parameters/0/in"]]);
  });

  // Regression (fixed): an Api whose other props are invalid has its contract checked by checkInvalidApi(),
  // which loads it again and adds every problem without the shared-file dedup: the problem in
  // bad-components.yaml is reported on acme/a and again on acme/b.
  it("a problem in a shared file is reported once even when one of the APIs has invalid props", async () => {
    const scope = platform();
    api(scope, "a", OpenApi.fromFile(absolute(`${BROKEN}/shared-problem-a.yaml`)));
    api(scope, "b", OpenApi.fromFile(absolute(`${BROKEN}/shared-problem-b.yaml`)), { version: "one" });
    const errors = errorsOf(await compileManifest(scope));
    expect(errors.filter((error) => error.field === "contract").map((error) => [error.path, error.file, error.pointer])).toEqual([
      ["acme/a", "test/fixtures/contracts/broken/shared/bad-components.yaml", "#/parameters/Filter/in"],
    ]);
  });

  // Regression (fixed): @redocly's YamlParseError takes line/col from a "(line:col)" suffix of the message;
  // "expected a single document in the stream, but found more" has none, so both are NaN and
  // yamlPosition() (which only checks for `undefined`) copies NaN into the diagnostic.
  it("contract-unparsable: a multi-document YAML file gets no NaN line or column", async () => {
    const [error] = errorsOf(await compileFixture(`${BROKEN}/multi-document.yaml`));
    expect(error).toMatchObject({ code: "contract-unparsable", file: "test/fixtures/contracts/broken/multi-document.yaml" });
    expect(error!.message).toMatch(/single document/);
    expect(Number.isNaN(error!.line) || Number.isNaN(error!.column)).toBe(false);
  });

  // Regression (fixed): a shared file that does not parse is reported as contract-invalid (no-unresolved-refs),
  // twice (at the $ref in the root and in the shared file), with the absolute path of the file in
  // both messages; a root file that does not parse gets contract-unparsable and a relative path.
  it("contract-unparsable: a shared file that does not parse, named relative to rootDir", async () => {
    const errors = errorsOf(await compileFixture(`${BROKEN}/shared-syntax-error.yaml`));
    expect(errors.map((error) => [error.code, error.file, error.line, error.column])).toEqual([
      ["contract-unparsable", "test/fixtures/contracts/broken/shared/syntax-error.yaml", 3, 2],
    ]);
    expect(errors[0]!.message).not.toContain(REPO_ROOT);
  });
});
