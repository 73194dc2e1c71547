/**
 * The generated TypeScript SDKs: one npm package per API version (types from
 * openapi-typescript, a createClient over openapi-fetch with the policies' credentials),
 * packed as a tarball npm accepts. The acme orders SDK is installed from its tarball into a
 * scratch project, type-checked with `tsc --strict` together with a script using it, and
 * that script calls a real gateway in front of a real upstream and gets the typed answer.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { Plan, Product, mtls, Secret, jwt, OpenApi } from "../../constructs/index";
import type { GatewayConfig } from "../../constructs/manifest/schema";
import { type PortalFile, generatePortal, generatePortalSdks } from "../../portal-site/index";
import { OPENAPI_FETCH_VERSION, clientSource, sdkCredentials } from "../../portal-site/sdk/client-source";
import { npmTarball } from "../../portal-site/sdk/tarball";
import { authOf } from "../../portal-site/model";
import { acmePlatform } from "../../stacks/acme";
import { itemsApi, itemsContract, testPlatform } from "../helpers/declaration";
import { type RunningGateway, manifestOf, startGateway } from "../helpers/gateway";
import { type TestUpstream, startUpstream } from "../helpers/upstream";

const run = promisify(execFile);
const REPO = join(__dirname, "..", "..");

let compiled: { manifest: GatewayConfig; json: string };
let sdks: PortalFile[];
let byPath: Map<string, Buffer>;

beforeAll(async () => {
  compiled = await manifestOf(acmePlatform());
  sdks = await generatePortalSdks(compiled.manifest);
  byPath = new Map(sdks.map((file) => [file.path, file.bytes]));
}, 60_000);

function file(path: string): Buffer {
  const bytes = byPath.get(path);
  if (bytes === undefined) throw new Error(`no ${path}; the SDK files are ${[...byPath.keys()].join(", ")}`);
  return bytes;
}

/** Entries of a .tgz, read with the system's tar (an independent reader). */
async function untar(tgz: Buffer, into: string): Promise<string[]> {
  const archive = join(into, "..", `${Date.now()}-${Math.random().toString(36).slice(2)}.tgz`);
  writeFileSync(archive, tgz);
  mkdirSync(into, { recursive: true });
  const listing = await run("tar", ["-tzvf", archive]);
  await run("tar", ["-xzf", archive, "-C", into]);
  rmSync(archive);
  return listing.stdout.trim().split("\n");
}

describe("generatePortalSdks on the acme example", () => {
  it("writes a package per listed API version, named after the platform and the API, versioned as the API", () => {
    for (const api of compiled.manifest.spec.apis) {
      const dir = `apis/${api.id}/sdk/`;
      const pkg = JSON.parse(file(`${dir}package.json`).toString("utf8"));
      expect(pkg).toMatchObject({ name: `@acme/${api.name}-sdk`, version: api.version, type: "module", dependencies: { "openapi-fetch": OPENAPI_FETCH_VERSION } });
      expect(file(`${dir}schema.d.ts`).toString("utf8")).toMatch(/export interface paths \{/);
      expect(file(`${dir}index.ts`).toString("utf8")).toContain(`export const BASE_PATH: string = ${JSON.stringify(api.basePath)};`);
      expect(file(`${dir}index.js`).toString("utf8")).toContain('import createFetchClient from "openapi-fetch";');
      expect(file(`${dir}index.d.ts`).toString("utf8")).toContain("export declare function createClient(");
      expect(file(`${dir}README.md`).toString("utf8")).toContain(`npm install ./sdk.tgz`);
    }
    // The credentials the policies require: a key header for orders, a bearer token for payments.
    expect(file("apis/orders-v2/sdk/index.ts").toString("utf8")).toContain('request.headers.set("X-API-Key", apiKey);');
    expect(file("apis/orders-v2/sdk/index.ts").toString("utf8")).toMatch(/\n {2}apiKey: string;/);
    expect(file("apis/payments-v1/sdk/index.ts").toString("utf8")).toContain('request.headers.set("Authorization", `Bearer ${token}`);');
    // The catalog's reads are anonymous: the key is optional.
    expect(file("apis/catalog-v1/sdk/index.ts").toString("utf8")).toMatch(/\n {2}apiKey\?: string;/);
  });

  it("is deterministic", async () => {
    const again = await generatePortalSdks(compiled.manifest);
    expect(again.map((entry) => entry.path)).toEqual(sdks.map((entry) => entry.path));
    expect(again.every((entry, index) => entry.bytes.equals(sdks[index]!.bytes))).toBe(true);
  }, 60_000);

  it("packs each SDK as npm pack does: package/ prefix, the files as generated", async () => {
    const dir = mkdtempSync(join(tmpdir(), "turnpike-sdk-tar-"));
    try {
      const listing = await untar(file("apis/orders-v2/sdk/sdk.tgz"), join(dir, "out"));
      expect(listing.map((line) => line.split(/\s+/).pop())).toEqual(["package/package.json", "package/README.md", "package/index.js", "package/index.d.ts", "package/index.ts", "package/schema.d.ts"]);
      for (const line of listing) expect(line).toMatch(/^-rw-r--r-- 0\/0 .* 1985-10-26 08:15 package\//);
      for (const name of ["package.json", "README.md", "index.js", "index.d.ts", "index.ts", "schema.d.ts"]) {
        expect(readFileSync(join(dir, "out", "package", name)).equals(file(`apis/orders-v2/sdk/${name}`))).toBe(true);
      }
      // Sizes that are multiples of 512 and empty files are framed right too.
      const odd = npmTarball([{ path: "a.txt", bytes: Buffer.alloc(512, 97) }, { path: "empty", bytes: Buffer.alloc(0) }]);
      expect(gunzipSync(odd).length).toBe(512 + 512 + 512 + 1024);
      await untar(odd, join(dir, "odd"));
      expect(readFileSync(join(dir, "odd", "package", "a.txt")).length).toBe(512);
      expect(readFileSync(join(dir, "odd", "package", "empty")).length).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => npmTarball([{ path: "../evil", bytes: Buffer.alloc(1) }])).toThrow(/not a plain relative path/);
  });

  it("is linked from the API page, with the package name and version", () => {
    const page = generatePortal(compiled.manifest).find((entry) => entry.path === "apis/orders-v2/index.html")!.bytes.toString("utf8");
    expect(page).toContain('<a class="button" href="sdk/sdk.tgz" download="acme-orders-sdk-2.1.0.tgz" data-sdk-package="@acme/orders-sdk" data-sdk-version="2.1.0">');
  });
});

describe("the SDK client's credentials", () => {
  it("sends a query-parameter key in the URL and documents mutual TLS", async () => {
    const platform = testPlatform();
    const contract = itemsContract((document) => {
      (document.components as { securitySchemes: unknown }).securitySchemes = { ApiKeyAuth: { type: "apiKey", in: "query", name: "api_key" } };
    });
    const items = itemsApi(platform, "items", { contract: OpenApi.fromDocument(contract) });
    const secure = itemsApi(platform, "secure", {
      contract: OpenApi.fromDocument(itemsContract((document) => {
        (document.components as Record<string, unknown>).securitySchemes = { ClientCert: { type: "mutualTLS" } };
        document.security = [{ ClientCert: [] }];
      })),
      policies: [mtls({ trustedCa: Secret.fromFile("/etc/turnpike/clients-ca.pem") })],
    });
    const tokens = itemsApi(platform, "tokens", {
      contract: OpenApi.fromDocument(itemsContract((document) => {
        (document.components as Record<string, unknown>).securitySchemes = { Bearer: { type: "http", scheme: "bearer" } };
        document.security = [{ Bearer: [] }];
      })),
      policies: [jwt({ issuer: "https://issuer.example/", jwksUrl: "https://issuer.example/jwks", audiences: ["tokens"], header: "x-token" })],
    });
    new Product(platform, "shop", { apis: [items, secure, tokens], plans: [new Plan(platform, "free", {})] });
    const declared = (await manifestOf(platform)).manifest;
    const source = (name: string) => {
      const api = declared.spec.apis.find((candidate) => candidate.name === name)!;
      return clientSource(api, sdkCredentials(api, authOf(declared, api)));
    };
    expect(source("items")).toContain('url.searchParams.set("api_key", apiKey);');
    expect(source("tokens")).toContain('request.headers.set("x-token", `Bearer ${token}`);');
    // No key or token option where the API takes neither; the README says how to present a certificate.
    expect(source("secure")).not.toMatch(/apiKey|token/);
    const files = await generatePortalSdks(declared);
    const secureId = declared.spec.apis.find((candidate) => candidate.name === "secure")!.id;
    expect(files.find((entry) => entry.path === `apis/${secureId}/sdk/README.md`)!.bytes.toString("utf8")).toContain("Mutual TLS: pass a `fetch` that presents your client certificate");
  }, 60_000);
});

describe("the acme orders SDK, installed from its tarball", () => {
  let dir: string;
  let upstream: TestUpstream;
  let gateway: RunningGateway;
  const DEMO_KEY = "tp_demo_sdk_test_0123456789abcdef";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "turnpike-sdk-use-"));
    // A project with the SDK installed as npm would (node_modules/@acme/orders-sdk from the
    // tarball) and the packages it and the type check need linked from this repository.
    const modules = join(dir, "node_modules");
    mkdirSync(join(modules, "@acme"), { recursive: true });
    await untar(file("apis/orders-v2/sdk/sdk.tgz"), join(dir, "unpacked"));
    symlinkSync(join(dir, "unpacked", "package"), join(modules, "@acme", "orders-sdk"), "dir");
    for (const name of ["openapi-fetch", "openapi-typescript-helpers", "@types"]) symlinkSync(join(REPO, "node_modules", name), join(modules, name), "dir");
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "sdk-user", private: true, type: "module" }));
    upstream = await startUpstream((request, res) => {
      if (request.method === "POST" && request.url === "/orders-v2/orders") {
        const body = JSON.parse(request.body) as { customerId: string; items: { sku: string; quantity: number }[] };
        res.writeHead(201, { "content-type": "application/json", location: "/orders/v2/orders/ord_sdkTest0001" });
        res.end(JSON.stringify({ id: "ord_sdkTest0001", customerId: body.customerId, status: "pending", items: body.items, total: { amount: "39.90", currency: "EUR" }, createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z" }));
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ data: [{ id: "ord_5kQx7hT2mZ9wLp3R", customerId: "cus_7Hk2Lm9Qp4Rt", status: "paid", items: [], total: { amount: "49.90", currency: "EUR" } }], hasMore: false, nextCursor: null }));
    });
    gateway = await startGateway(compiled, { mockUpstreamUrl: upstream.url, env: { TURNPIKE_DEMO_API_KEY: DEMO_KEY } });
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("type-checks with tsc --strict, and a script using it gets typed answers through the gateway", async () => {
    writeFileSync(
      join(dir, "use.ts"),
      `import { createClient, BASE_PATH, type components } from "@acme/orders-sdk";

type Order = components["schemas"]["Order"];

const client = createClient({ baseUrl: process.env.GATEWAY_URL!, apiKey: process.env.API_KEY! });
const list = await client.GET("/orders", { params: { query: { status: "paid", limit: 5 } } });
if (list.error !== undefined) throw new Error("list failed: " + list.response.status);
const orders: Order[] = list.data.data;
const firstTotal: string = orders[0]!.total.amount;

const created = await client.POST("/orders", {
  params: { header: { "Idempotency-Key": "0b8a4c2e-1f3d-4a5b-8c7d-9e0f1a2b3c4d" } },
  body: { customerId: "cus_7Hk2Lm9Qp4Rt", items: [{ sku: "SKU-1001", quantity: 2 }], shippingAddress: { name: "Jane Doe", line1: "Rosenthaler Str. 40", city: "Berlin", postalCode: "10178", country: "DE" } },
});
if (created.error !== undefined) throw new Error("create failed: " + created.response.status);
const id: string = created.data.id;

// A wrong key: the gateway's 401 comes back as the typed error, not as data.
const stranger = createClient({ baseUrl: process.env.GATEWAY_URL!, apiKey: "tp_not_a_key" });
const denied = await stranger.GET("/orders");

// @ts-expect-error the contract has no such path, so the client does not accept it
void client.GET("/customers");
// @ts-expect-error a body the contract's CreateOrderRequest does not allow
void client.POST("/orders", { params: { header: { "Idempotency-Key": "x" } }, body: { customerId: 42 } });

process.stdout.write(JSON.stringify({ basePath: BASE_PATH, listStatus: list.response.status, count: orders.length, firstTotal, createdStatus: created.response.status, id, deniedStatus: denied.response.status, deniedData: denied.data ?? null }));
`,
    );
    // tsc --strict over the script and the installed SDK (its index.d.ts and schema.d.ts);
    // --noEmitOnError: nothing is emitted unless it type-checks, then node runs what was emitted.
    const tsc = join(REPO, "node_modules", "typescript", "bin", "tsc");
    const check = await run(process.execPath, [tsc, "--strict", "--noEmitOnError", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--types", "node", "--outDir", "out", "use.ts"], { cwd: dir }).catch((error: { stdout: string; stderr: string }) => error);
    expect(`${check.stdout}${check.stderr}`).toBe("");
    const { stdout } = await run(process.execPath, [join(dir, "out", "use.js")], { cwd: dir, env: { ...process.env, GATEWAY_URL: gateway.url, API_KEY: DEMO_KEY } });
    expect(JSON.parse(stdout)).toEqual({ basePath: "/orders/v2", listStatus: 200, count: 1, firstTotal: "49.90", createdStatus: 201, id: "ord_sdkTest0001", deniedStatus: 401, deniedData: null });
    // What reached the upstream: the base path stripped as the gateway does, the query, the body.
    const received = upstream.requests.map((request) => `${request.method} ${request.url}`);
    expect(received).toEqual(["GET /orders-v2/orders?status=paid&limit=5", "POST /orders-v2/orders"]);
    expect(JSON.parse(upstream.requests[1]!.body)).toMatchObject({ customerId: "cus_7Hk2Lm9Qp4Rt", items: [{ sku: "SKU-1001", quantity: 2 }] });
  }, 60_000);
});
