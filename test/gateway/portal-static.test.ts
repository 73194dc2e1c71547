/**
 * `--portal-dir`: the gateway bundle serves the portal's static files under /_turnpike/portal/
 * (types, index.html, ETag/304, caching, 404 problem+json), refuses every way out of the
 * directory, leaves API routes alone and never shadows the portal API (/_turnpike/portal/v1).
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Plan, Product } from "../../constructs/index";
import { itemsApi, testPlatform } from "../helpers/declaration";
import { type RunningGateway, startGateway } from "../helpers/gateway";
import { type TestUpstream, startUpstream } from "../helpers/upstream";

const SECRET = "top secret outside the portal";
const INDEX = "<!doctype html><title>Portal home</title>";

let base: string;
let site: string;
let upstream: TestUpstream;
let plain: RunningGateway;
let withControl: RunningGateway;

function platform() {
  const declaration = testPlatform();
  const items = itemsApi(declaration, "items", { upstream: { targets: [{ url: upstream.url }] } });
  new Product(declaration, "shop", { apis: [items], plans: [new Plan(declaration, "free")], approval: "auto" });
  return declaration;
}

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), "turnpike-portal-static-"));
  site = join(base, "portal");
  mkdirSync(join(site, "assets"), { recursive: true });
  mkdirSync(join(site, "apis", "items-v1"), { recursive: true });
  mkdirSync(join(site, "v1"), { recursive: true });
  writeFileSync(join(site, "index.html"), INDEX);
  writeFileSync(join(site, "apis", "items-v1", "index.html"), "<h1>Items</h1>");
  writeFileSync(join(site, "apis", "items-v1", "openapi.json"), '{"openapi":"3.1.0"}');
  writeFileSync(join(site, "assets", "portal.0123456789ab.css"), "body{color:#111}");
  writeFileSync(join(site, "assets", "app.js"), "console.log(1)");
  writeFileSync(join(site, ".hidden"), "hidden");
  // A file where the portal API is: it must never be served.
  writeFileSync(join(site, "v1", "catalog"), "static shadow");
  writeFileSync(join(base, "secret.txt"), SECRET);
  symlinkSync(join(base, "secret.txt"), join(site, "link.txt"));
  upstream = await startUpstream();
  const dir = join(base, "control-plane.db");
  [plain, withControl] = await Promise.all([
    startGateway(platform(), { args: ["--portal-dir", site] }),
    startGateway(platform(), { args: ["--portal-dir", site], controlStore: `sqlite:${dir}` }),
  ]);
}, 30_000);

afterAll(async () => {
  await Promise.all([plain?.stop(), withControl?.stop()]);
  await upstream?.close();
  rmSync(base, { recursive: true, force: true });
});

/** A request with the path sent exactly as given (fetch would normalize `..` away). */
function raw(gateway: RunningGateway, path: string, method = "GET", headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const url = new URL(gateway.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("--portal-dir", () => {
  it("serves index.html for the portal's root and directories, with the right types and caching", async () => {
    for (const gateway of [plain, withControl]) {
      const home = await raw(gateway, "/_turnpike/portal/");
      expect(home.status).toBe(200);
      expect(home.body).toBe(INDEX);
      expect(home.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(home.headers["cache-control"]).toBe("no-cache");
      expect(home.headers["content-security-policy"]).toContain("default-src 'self'");
      expect(home.headers["x-content-type-options"]).toBe("nosniff");
      expect(home.headers.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
      expect((await raw(gateway, "/_turnpike/portal/apis/items-v1/")).body).toBe("<h1>Items</h1>");
    }
    // Without the slash the relative links would break: redirected.
    const bare = await raw(plain, "/_turnpike/portal?x=1");
    expect(bare.status).toBe(308);
    expect(bare.headers.location).toBe("/_turnpike/portal/?x=1");
    const directory = await raw(plain, "/_turnpike/portal/apis/items-v1");
    expect(directory.status).toBe(308);
    expect(directory.headers.location).toBe("/_turnpike/portal/apis/items-v1/");

    const css = await raw(plain, "/_turnpike/portal/assets/portal.0123456789ab.css");
    expect(css.headers["content-type"]).toBe("text/css; charset=utf-8");
    expect(css.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    const js = await raw(plain, "/_turnpike/portal/assets/app.js");
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["cache-control"]).toBe("no-cache");
    const json = await raw(plain, "/_turnpike/portal/apis/items-v1/openapi.json?download=1");
    expect(json.headers["content-type"]).toBe("application/json");
    expect(json.body).toBe('{"openapi":"3.1.0"}');
  });

  it("answers If-None-Match with 304 and HEAD without a body", async () => {
    const first = await raw(plain, "/_turnpike/portal/index.html");
    const etag = first.headers.etag as string;
    const again = await raw(plain, "/_turnpike/portal/index.html", "GET", { "if-none-match": `W/"nope", ${etag}` });
    expect(again.status).toBe(304);
    expect(again.body).toBe("");
    expect(again.headers.etag).toBe(etag);
    expect((await raw(plain, "/_turnpike/portal/index.html", "GET", { "if-none-match": '"other"' })).status).toBe(200);
    const head = await raw(plain, "/_turnpike/portal/index.html", "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe(String(Buffer.byteLength(INDEX)));
    expect(head.body).toBe("");
  });

  it("answers 404 problem+json for missing files and hidden ones, 405 for other methods", async () => {
    const missing = await raw(plain, "/_turnpike/portal/nope.html");
    expect(missing.status).toBe(404);
    expect(missing.headers["content-type"]).toBe("application/problem+json");
    expect(JSON.parse(missing.body)).toMatchObject({ type: "https://turnpike.dev/problems/not-found", status: 404 });
    expect((await raw(plain, "/_turnpike/portal/.hidden")).status).toBe(404);
    const post = await raw(plain, "/_turnpike/portal/index.html", "POST");
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe("GET, HEAD");
  });

  it.each([
    "/_turnpike/portal/../secret.txt",
    "/_turnpike/portal/../../../../etc/passwd",
    "/_turnpike/portal/%2e%2e/secret.txt",
    "/_turnpike/portal/%2E%2E%2Fsecret.txt",
    "/_turnpike/portal/apis/%2e%2e/%2e%2e/secret.txt",
    "/_turnpike/portal/..%5csecret.txt",
    "/_turnpike/portal/apis\\..\\..\\secret.txt",
    "/_turnpike/portal/index.html%00.css",
    "/_turnpike/portal/%00",
    "/_turnpike/portal/%zz",
    "/_turnpike/portal//etc/passwd",
    "/_turnpike/portal/./index.html",
    "/_turnpike/portal/link.txt",
  ])("refuses %s", async (path) => {
    const answer = await raw(plain, path);
    expect([400, 404]).toContain(answer.status);
    expect(answer.headers["content-type"]).toBe("application/problem+json");
    expect(answer.body).not.toContain(SECRET);
    expect(answer.body).not.toContain("root:");
  });

  it("leaves API routes alone", async () => {
    const health = await fetch(`${plain.url}/items/v1/health`);
    expect(health.status).toBe(200);

    expect((await fetch(`${plain.url}/items/v1/items`)).status).toBe(401);
  });

  it("never serves the portal API's paths from the directory", async () => {
    // Without a control store the path is nobody's: the gateway's 404, not the file.
    const none = await raw(plain, "/_turnpike/portal/v1/catalog");
    expect(none.status).toBe(404);
    expect(none.body).not.toContain("static shadow");
    // With one, the portal API answers.
    const catalog = await raw(withControl, "/_turnpike/portal/v1/catalog");
    expect(catalog.status).toBe(200);
    expect(JSON.parse(catalog.body).products.map((product: { name: string }) => product.name)).toEqual(["shop"]);
    expect((await raw(withControl, "/_turnpike/portal/v1/me")).status).toBe(401);
    expect((await raw(withControl, "/_turnpike/portal/v1")).body).not.toContain("static shadow");
    // The admin API is not under the portal's prefix at all.
    expect((await raw(withControl, "/_turnpike/admin/v1/apps")).status).toBe(401);
  });
});
