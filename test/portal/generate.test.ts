/**
 * The portal generator on the acme example and on hostile declarations: every listed API and
 * product has its pages, what they show is the manifest's (limits, prices, lifecycle, auth),
 * manifest content is escaped, nothing loads from another origin, pages stay light.
 */
import { Api, OpenApi, Plan, Product, Secret, apiKey, jwt, masking, mtls } from "../../constructs/index";
import type { GatewayConfig } from "../../constructs/manifest/schema";
import { safeLinkUrl } from "../../portal-site/html";
import { type PortalFile, generatePortal, generatePortalSdks, searchIndex } from "../../portal-site/index";
import type { SearchIndexFile } from "../../portal-site/search-index";
import { acmePlatform } from "../../stacks/acme";
import { itemsApi, itemsContract, testPlatform } from "../helpers/declaration";
import { manifestOf } from "../helpers/gateway";

let manifest: GatewayConfig;
/** What synth writes: the pages and assets, and the SDKs the API pages link to. */
let files: PortalFile[];
let pagesOnly: PortalFile[];
let byPath: Map<string, string>;

beforeAll(async () => {
  manifest = (await manifestOf(acmePlatform())).manifest;
  pagesOnly = generatePortal(manifest, { basePath: "/_turnpike/portal/" });
  files = [...pagesOnly, ...(await generatePortalSdks(manifest))];
  byPath = new Map(files.map((file) => [file.path, file.bytes.toString("utf8")]));
});

function page(path: string): string {
  const text = byPath.get(path);
  if (text === undefined) throw new Error(`no ${path} in the portal; it has ${[...byPath.keys()].join(", ")}`);
  return text;
}

/** Text content of an HTML fragment (tags dropped, entities of the escaper decoded). */
function text(htmlText: string): string {
  return htmlText.replace(/<[^>]+>/g, "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&").replace(/\s+/g, " ");
}

describe("generatePortal on the acme example", () => {
  it("has the home, catalog, account pages and one overview, reference and contract per API, a page per product and plan", () => {
    for (const path of ["index.html", "catalog/index.html", "catalog/search-index.json", "products/index.html", "plans/index.html", "account/index.html", "account/app/index.html", "account/signin/index.html", "account/signup/index.html"]) page(path);
    for (const api of manifest.spec.apis) {
      expect(page(`apis/${api.id}/index.html`)).toContain(`${api.title} <span class="muted">${api.version}</span>`);
      expect(page(`apis/${api.id}/reference.html`)).toContain('data-spec-url="openapi.json"');
      const contract = JSON.parse(page(`apis/${api.id}/openapi.json`));
      expect(contract.paths).toEqual(api.contract.document.paths);
      expect(contract.servers).toEqual([{ url: api.basePath, description: "The API gateway" }]);
    }
    for (const product of manifest.spec.products) expect(page(`products/${product.name}/index.html`)).toContain(`<h1>${product.title}</h1>`);
    for (const plan of manifest.spec.plans) expect(page(`plans/${plan.name}/index.html`)).toContain(`<h1>${plan.title}</h1>`);
    // Redoc's bundle is copied once, under a content-hashed name, without its CDN images.
    const redoc = files.filter((file) => /^assets\/redoc\.standalone\.[0-9a-f]{12}\.js$/.test(file.path));
    expect(redoc).toHaveLength(1);
    expect(redoc[0]!.bytes.toString("utf8")).not.toMatch(/https:\/\/cdn\./);
    expect(redoc[0]!.bytes.toString("utf8")).toContain("RedocStandalone");
  });

  it("is deterministic", () => {
    const again = generatePortal(manifest, { basePath: "/_turnpike/portal/" });
    expect(again.map((file) => file.path)).toEqual(pagesOnly.map((file) => file.path));
    expect(again.every((file, index) => file.bytes.equals(pagesOnly[index]!.bytes))).toBe(true);
  });

  it("shows every plan's limits and price as the manifest declares them, on each API page", () => {
    for (const api of manifest.spec.apis) {
      const html = page(`apis/${api.id}/index.html`);
      const products = manifest.spec.products.filter((product) => product.apis.includes(api.id));
      for (const product of products) {
        for (const planName of product.plans) {
          const plan = manifest.spec.plans.find((candidate) => candidate.name === planName)!;
          const row = new RegExp(`<tr data-plan-row="${plan.name}" data-product="${product.name}">(.*?)</tr>`).exec(html)?.[1];
          expect(row).toBeDefined();
          const value = (field: string) => new RegExp(`data-field="${field.replace(".", "\\.")}" data-value="([^"]*)"`).exec(row!)?.[1];
          if (plan.rateLimit) {
            expect(Number(value("rateLimit.requests"))).toBe(plan.rateLimit.requests);
            expect(Number(value("rateLimit.perSeconds"))).toBe(plan.rateLimit.perSeconds);
            expect(Number(value("rateLimit.burst"))).toBe(plan.rateLimit.burst);
          } else expect(row).toContain("No rate limit");
          if (plan.quota) {
            expect(Number(value("quota.requests"))).toBe(plan.quota.requests);
            expect(value("quota.period")).toBe(plan.quota.period);
          } else expect(row).toContain("No quota");
          const pricing = /data-field="pricing" data-model="([a-z]+)"(?: data-monthly-price="([^"]*)" data-currency="([^"]*)")?/.exec(row!)!;
          expect(pricing[1]).toBe(plan.pricing.model);
          if (plan.pricing.model === "flat" || plan.pricing.model === "metered") {
            expect(Number(pricing[2])).toBe(plan.pricing.monthlyPrice);
            expect(pricing[3]).toBe(plan.pricing.currency);
          }
        }
      }
    }
    // The numbers people read match too.
    const orders = text(page("apis/orders-v2/index.html"));
    expect(orders).toContain("10 requests per second, bursts of 20");
    expect(orders).toContain("10,000 requests per month");
    expect(orders).toContain("1,000,000 requests per month");
    expect(orders).toContain("49 USD per month");
    expect(orders).toContain("Custom pricing: partners@acme.example");
    // An operation's own limit, for every caller.
    expect(orders).toContain("2 requests per second (bursts of 2) per app, on createOrder.");
    expect(text(page("apis/catalog-v1/index.html"))).toContain("50 requests per second (bursts of 50) per client IP, on every operation.");
    expect(text(page("plans/index.html"))).toContain("49 USD per month");
  });

  it("tells developers which response fields the gateway masks, for which plan, on API and plan pages", () => {
    const maskings = manifest.spec.policies.filter((instance) => instance.policy === "masking");
    expect(maskings.length).toBeGreaterThan(0);
    for (const api of manifest.spec.apis.filter((candidate) => candidate.lifecycle !== "draft")) {
      const html = page(`apis/${api.id}/index.html`);
      const inChain = maskings.filter((instance) => api.operations.some((operation) => operation.policies.includes(instance.id)));
      for (const instance of inChain) {
        const plan = instance.when === null ? "" : `${instance.when.product}/${instance.when.plan}`;
        const item = new RegExp(`<li data-masking-plan="${plan}">(.*?)</li>`).exec(html)?.[1];
        expect(item).toBeDefined();
        const paths = [...item!.matchAll(/data-masked-path="([^"]*)"/g)].map((match) => match[1]);
        expect(paths).toEqual((instance.config as { fields: { path: string }[] }).fields.map((field) => field.path));
      }
      if (inChain.length === 0) expect(html).not.toContain("Masked response fields");
    }
    const orders = text(page("apis/orders-v2/index.html"));
    expect(orders).toContain('For apps on the Free plan of Commerce, on every operation: $..shippingAddress.name replaced by "****"; $..shippingAddress.line1 replaced by "****".');
    const free = text(page("plans/free/index.html"));
    expect(free).toContain('Orders API 2.1.0 (Commerce): $..shippingAddress.name replaced by "****"');
    expect(text(page("plans/pro/index.html"))).not.toContain("Masked response fields");
  });

  it("shows the deprecated version's banner with its sunset date and a link to its successor; not on the published one", () => {
    const v1 = page("apis/orders-v1/index.html");
    expect(v1).toContain('data-banner="deprecated"');
    expect(v1).toContain('<time datetime="2027-06-30" data-sunset>2027-06-30</time>');
    expect(v1).toContain('<time datetime="2026-09-01">2026-09-01</time>');
    expect(v1).toMatch(/<a href="\.\.\/\.\.\/apis\/orders-v2\/" data-successor="orders-v2">Orders API 2\.1\.0<\/a>/);
    expect(v1).toContain('<span class="badge badge-deprecated" data-lifecycle="deprecated">Deprecated</span>');
    expect(page("apis/orders-v1/reference.html")).toContain('data-banner="deprecated"');
    expect(page("apis/orders-v2/index.html")).not.toContain("data-banner");
    expect(page("apis/orders-v2/index.html")).toContain('data-lifecycle="published"');
  });

  it("writes the authentication how-to from the policies the gateway runs", () => {
    const orders = page("apis/orders-v2/index.html");
    expect(orders).toContain('data-auth-kind="apiKey" data-key-in="header" data-key-name="x-api-key"');
    expect(text(orders)).toContain("send your app's key in the X-API-Key header");
    const catalog = text(page("apis/catalog-v1/index.html"));
    // The catalog's reads are anonymous, its writes need a key.
    expect(catalog).toContain("For createProduct, updateProductStock: send your app's key in the X-API-Key header");
    expect(catalog).toMatch(/listCategories, listProducts, getProduct can be called without authentication/);
    const payments = page("apis/payments-v1/index.html");
    expect(payments).toContain('data-auth-kind="jwt" data-issuer="https://auth.acme.example/"');
    expect(text(payments)).toContain("Authorization: Bearer <token>");
    expect(text(payments)).toContain("https://api.acme.example/payments");
    expect(text(payments)).toContain("RS256, ES256");
    expect(text(payments)).toMatch(/refundPayment\s*payments:write/);
    expect(payments).not.toContain('data-auth-kind="apiKey"');
  });

  it("indexes the catalog for full-text search over titles, descriptions, tags and operation summaries", () => {
    const index = JSON.parse(page("catalog/search-index.json")) as SearchIndexFile;
    expect(searchIndex(index, "refund")).toEqual(["payments-v1"]);
    expect(searchIndex(index, "finance")).toEqual(["payments-v1"]);
    expect(searchIndex(index, "stock level")).toEqual(["catalog-v1"]);
    // Both Orders versions first (title), then the Payments API (its description mentions orders).
    expect(searchIndex(index, "orders").slice(0, 2).sort()).toEqual(["orders-v1", "orders-v2"]);
    const catalog = page("catalog/index.html");
    expect(catalog).toContain('data-api-id="orders-v1"');
    expect(catalog).toMatch(/<select id="lifecycle" name="lifecycle"><option value="">Any<\/option><option value="published">Published<\/option><option value="deprecated">Deprecated<\/option><\/select>/);
    expect(catalog).toContain('<label for="q">Search</label>');
  });

  it("loads nothing from another origin and keeps each page under 300 KB of JS and CSS (before the reference renderer)", () => {
    const sizes = new Map(files.map((file) => [file.path, file.bytes.length]));
    for (const [path, html] of byPath) {
      if (!path.endsWith(".html")) continue;
      const references = [...html.matchAll(/<(script|link|img|iframe|source)\b[^>]*?\b(?:src|href)="([^"]*)"/g)].map((match) => match[2]!);
      for (const reference of references) expect(reference).not.toMatch(/^(https?:)?\/\//i);
      let total = 0;
      for (const reference of references) {
        if (!/\.(js|css)$/.test(reference)) continue;
        const resolved = new URL(reference, `http://portal/${path}`).pathname.slice(1);
        expect(sizes.has(resolved)).toBe(true);
        total += sizes.get(resolved)!;
      }
      expect(total).toBeLessThan(300 * 1024);
      // Landmarks, a skip link and the language on every page.
      expect(html).toContain('<html lang="en">');
      expect(html).toContain('<a class="skip-link" href="#main">');
      expect(html).toMatch(/<main id="main"/);
      expect(html).toContain('<nav class="site-nav" aria-label="Main">');
    }
    // The portal's own scripts and styles reach no other origin either.
    for (const file of files.filter((candidate) => /^assets\/(common|catalog|account|api|reference|portal)\./.test(candidate.path))) {
      expect(file.bytes.toString("utf8")).not.toMatch(/https?:\/\//);
    }
  });

  it("links every page to pages that exist", () => {
    for (const [path, html] of byPath) {
      if (!path.endsWith(".html")) continue;
      for (const match of html.matchAll(/\bhref="([^"#?]*)[^"]*"/g)) {
        const target = match[1]!;
        if (target === "" || /^(https?:|mailto:|data:)/.test(target)) continue;
        let resolved = new URL(target, `http://portal/${path}`).pathname.slice(1);
        if (resolved === "" || resolved.endsWith("/")) resolved += "index.html";
        expect({ from: path, to: resolved, exists: byPath.has(resolved) || files.some((file) => file.path === resolved) }).toEqual({ from: path, to: resolved, exists: true });
      }
    }
  });
});

describe("generatePortal on hostile and unusual declarations", () => {
  it("escapes manifest content: titles, descriptions, tags, product and plan names, contacts", async () => {
    const platform = testPlatform({ title: "Acme <b>portal</b>", description: "Hello </script><script>alert(1)</script>" });
    const api = itemsApi(platform, "items", {
      title: '<script>alert("title")</script> Items',
      tags: ['"><img src=x onerror=alert(1)>'],
      policies: [apiKey(), masking({ fields: [{ path: "$['<script>alert(2)</script>']", replacement: '"><img src=y>' }] })],
      contract: OpenApi.fromDocument(itemsContract((document) => {
        (document.info as Record<string, unknown>).description = "Items <iframe src=//evil.example></iframe> & more, [click](javascript:alert(1)) and [docs](https://docs.example/items).\n\n## Usage\n\n- `<b>` stays code";
      })),
    });
    const plan = new Plan(platform, "gold", { title: "Gold <em>", description: "x", pricing: { model: "custom", contact: "mailto:sales@example.com" } });
    new Product(platform, "shop", { title: "Shop </script>", description: "d", apis: [api], plans: [plan] });
    const { manifest: hostile } = await manifestOf(platform);
    const site = generatePortal(hostile);
    const all = site.filter((file) => file.path.endsWith(".html")).map((file) => file.bytes.toString("utf8")).join("\n");
    expect(all).not.toContain("<script>alert");
    expect(all).not.toContain("<img src=x");
    expect(all).not.toContain("<img src=y");
    expect(all).toContain("<code data-masked-path=\"$[&#39;&lt;script&gt;alert(2)&lt;/script&gt;&#39;]\">");
    expect(all).not.toContain("<iframe");
    expect(all).not.toContain("<b>portal</b>");
    expect(all).not.toContain('href="javascript:');
    expect(all).toContain("&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt; Items");
    expect(all).toContain("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
    expect(all).toContain("Items &lt;iframe src=//evil.example&gt;&lt;/iframe&gt; &amp; more, [click](javascript:alert(1)) and <a href=\"https://docs.example/items\">docs</a>.");
    expect(all).not.toMatch(/href="javascript:/i);
    expect(all).toContain("<h3>Usage</h3>\n<ul><li><code>&lt;b&gt;</code> stays code</li></ul>");
    expect(safeLinkUrl("javascript:alert(1)")).toBeNull();
    expect(safeLinkUrl("mailto:sales@example.com")).toBe("mailto:sales@example.com");
    // JSON embedded in a page cannot close its script element.
    const app = site.find((file) => file.path === "account/app/index.html")!.bytes.toString("utf8");
    const embedded = /<script type="application\/json" id="portal-offers">(.*?)<\/script>/s.exec(app)![1]!;
    expect(embedded).not.toContain("</script");
    expect(JSON.parse(embedded).products[0].title).toBe("Shop </script>");
  });

  it("documents mutual TLS and leaves draft APIs and private products out", async () => {
    const platform = testPlatform();
    const secure = itemsApi(platform, "secure", {
      contract: OpenApi.fromDocument(
        itemsContract((document) => {
          (document.components as Record<string, unknown>).securitySchemes = { ClientCert: { type: "mutualTLS" } };
          document.security = [{ ClientCert: [] }];
        }),
      ),
      policies: [mtls({ trustedCa: Secret.fromFile("/etc/turnpike/clients-ca.pem"), allowedSubjects: ["CN=billing,O=Acme"] })],
    });
    const draft = itemsApi(platform, "drafty", { lifecycle: "draft" });
    const tokens = new Api(platform, "tokens", {
      version: "1.0.0",
      contract: OpenApi.fromDocument(
        itemsContract((document) => {
          (document.components as Record<string, unknown>).securitySchemes = { Bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } };
          document.security = [{ Bearer: [] }];
        }),
      ),
      upstream: { targets: [{ url: "http://tokens.internal" }] },
      policies: [jwt({ issuer: "https://issuer.example/", jwksUrl: "https://issuer.example/jwks", audiences: ["tokens"] })],
    });
    const plan = new Plan(platform, "basic", { rateLimit: { requests: 5, perSeconds: 60 } });
    new Product(platform, "open", { apis: [secure, tokens], plans: [plan] });
    new Product(platform, "hidden", { apis: [draft], plans: [plan], visibility: "private" });
    const { manifest: declared } = await manifestOf(platform);
    const site = new Map(generatePortal(declared).map((file) => [file.path, file.bytes.toString("utf8")]));
    const secureId = declared.spec.apis.find((candidate) => candidate.name === "secure")!.id;
    const draftId = declared.spec.apis.find((candidate) => candidate.name === "drafty")!.id;
    const securePage = site.get(`apis/${secureId}/index.html`)!;
    expect(securePage).toContain('data-auth-kind="mtls"');
    expect(text(securePage)).toContain("client certificate signed by the platform's certificate authority; accepted subjects: CN=billing,O=Acme");
    expect(text(securePage)).toContain("5 requests per minute, bursts of 5");
    expect(site.has(`apis/${draftId}/index.html`)).toBe(false);
    expect(site.has("products/hidden/index.html")).toBe(false);
    expect(site.get("catalog/index.html")).not.toContain(draftId);
  });
});
