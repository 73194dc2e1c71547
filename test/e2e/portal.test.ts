/**
 * The developer portal in a real headless Chromium (Debian's chromium driven by
 * playwright-core), against the gateway bundle serving the acme example: the generated
 * portal (`--portal-dir`), the control plane on a SQLite file, mocked APIs answered by a small
 * upstream. Search, the deprecation banner, the Redoc reference and the self-service flow
 * through to a call with the new key. Screenshots go to test-artifacts/portal/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { buildPortal, writePortal } from "../../portal-site/index";
import { acmePlatform } from "../../stacks/acme";
import { type RunningGateway, manifestOf, startGateway } from "../helpers/gateway";
import { type TestUpstream, startUpstream } from "../helpers/upstream";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(__dirname, "..", "..", "test-artifacts", "portal");
const PORTAL = "/_turnpike/portal/";

const available = existsSync(CHROMIUM);
if (!available && process.env.CI === "true") throw new Error(`${CHROMIUM} is missing: CI must install the Debian package chromium`);
if (!available) process.stderr.write(`skipping the portal's browser tests: ${CHROMIUM} is missing (apt-get install chromium)\n`);
const describeWithBrowser = available ? describe : describe.skip;

describeWithBrowser("the developer portal in Chromium", () => {
  let dir: string;
  let upstream: TestUpstream;
  let gateway: RunningGateway;
  let browser: Browser;
  let page: Page;
  /** Requests the pages made to another origin (there must be none). */
  const foreign: string[] = [];
  /** Errors the pages reported (script errors, CSP violations). */
  const pageErrors: string[] = [];
  /** The key the self-service flow issues (still valid after its rotation: the overlap). */
  let issuedKey = "";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "turnpike-portal-e2e-"));
    mkdirSync(ARTIFACTS, { recursive: true });
    // Every mocked API is sent here, at /<api id>/<path>: a list answer for anything.
    upstream = await startUpstream((_request, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ data: [], hasMore: false, answeredBy: "test-upstream" }));
    });
    const compiled = await manifestOf(acmePlatform());
    const portalDir = join(dir, "portal");
    writePortal(portalDir, await buildPortal(compiled.manifest, { basePath: PORTAL }));
    const { chromium } = await import("playwright-core");
    [gateway, browser] = await Promise.all([
      startGateway(compiled, {
        controlStore: `sqlite:${join(dir, "control-plane.db")}`,
        mockUpstreamUrl: upstream.url,
        args: ["--portal-dir", portalDir],
        env: { TURNPIKE_DEMO_API_KEY: "tp_demo_portal_e2e_0123456789abcdef" },
      }),
      chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"] }),
    ]);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    const origin = new URL(gateway.url).origin;
    page.on("request", (request) => {
      const url = request.url();
      if (!url.startsWith(origin) && !url.startsWith("data:") && !url.startsWith("blob:")) foreign.push(url);
    });
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error" && !/status of 401/.test(message.text())) pageErrors.push(message.text());
    });
  }, 40_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const url = (path: string) => `${gateway.url}${PORTAL}${path}`;
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  /** A screenshot of one part of a long page (an operation's block). */
  const shotOf = (selector: string, name: string) => page.locator(selector).screenshot({ path: join(ARTIFACTS, `${name}.png`) });

  it("finds an API in the catalog by a word of its description", async () => {
    await page.goto(url("catalog/"));
    await page.waitForSelector("#catalog-search[data-ready]");
    // "tokenised" is only in the Payments API's description.
    await page.fill("#q", "tokenised");
    await page.waitForFunction(() => (globalThis as any).document.getElementById("catalog-status").textContent.startsWith("1 API"));
    const visible = await page.$$eval("[data-api-id]", (cards) => cards.filter((card) => !card.hasAttribute("hidden")).map((card) => card.getAttribute("data-api-id")));
    expect(visible).toEqual(["payments-v1"]);
    await shot("catalog-search");
    // Filters: the deprecated ones.
    await page.fill("#q", "");
    await page.selectOption("#lifecycle", "deprecated");
    await page.waitForFunction(() => (globalThis as any).document.getElementById("catalog-status").textContent === "1 API");
    expect(await page.$$eval("[data-api-id]", (cards) => cards.filter((card) => !card.hasAttribute("hidden")).map((card) => card.getAttribute("data-api-id")))).toEqual(["orders-v1"]);
  });

  it("shows the deprecated version's banner with its sunset date and the successor", async () => {
    await page.goto(url("apis/orders-v1/"));
    const banner = page.locator('[data-banner="deprecated"]');
    expect(await banner.isVisible()).toBe(true);
    expect(await banner.textContent()).toContain("2027-06-30");
    await shot("orders-v1-deprecated");
    await banner.locator("a[data-successor]").click();
    await page.waitForURL(/\/apis\/orders-v2\/$/);
    expect(await page.locator("h1").textContent()).toContain("2.1.0");
  });

  it("renders the API reference with Redoc, from the portal's own files", async () => {
    await page.goto(url("apis/orders-v2/reference.html"));
    const reference = page.locator("#redoc-container");
    // Redoc shows the API's introduction first; its operations are under their tag.
    await reference.getByText("What's new in v2").first().waitFor({ timeout: 20_000 });
    await shot("orders-v2-reference");
    await reference.getByText("Orders", { exact: true }).first().click();
    await reference.getByText("List orders").first().waitFor({ timeout: 10_000 });
    expect(await reference.textContent()).toContain("Create an order");
    await shot("orders-v2-reference-operations");
  }, 30_000);

  it("walks the self-service flow: sign up, app, subscription, key shown once, a call with it", async () => {
    await page.goto(url("account/signup/"));
    await page.fill("#email", "ada@example.com");
    await page.fill("#name", "Ada");
    await page.fill("#password", "a long enough passphrase");
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/account\/$/);
    await page.waitForSelector("[data-signed-in]:not([hidden])");
    await page.fill("#app-name", "Ada's storefront");
    await page.click('#create-app-form button[type="submit"]');
    await page.waitForURL(/\/account\/app\/\?id=/);
    await page.waitForSelector("#subscription-list tr");

    await page.selectOption("#subscribe-target", "commerce/free");
    await page.click('#subscribe-form button[type="submit"]');
    await page.waitForSelector('#subscription-list tr[data-subscription="commerce/free"][data-state="active"]');

    await page.fill("#key-label", "laptop");
    await page.click('#create-key-form button[type="submit"]');
    await page.waitForSelector("[data-new-key]:not([hidden])");
    const key = (await page.locator("#new-key").textContent())!;
    expect(key).toMatch(/^tp_/);
    issuedKey = key;
    await page.waitForSelector("#key-list tr[data-key-id]");
    // Shown once: the list has the prefix, never the key.
    expect(await page.locator("#key-list").textContent()).not.toContain(key);
    await shot("app-key-created");

    // Try it from the page: the key is filled in; the subscription reaches the gateway within a second.
    await page.selectOption("#try-operation", "/orders/v2/orders");
    expect(await page.inputValue("#try-key")).toBe(key);
    const deadline = Date.now() + 5_000;
    let status = "";
    while (Date.now() < deadline) {
      await page.click('[data-try-it] button[type="submit"]');
      await page.waitForFunction(() => !(globalThis as any).document.querySelector('[data-try-it] button[type="submit"]').disabled);
      status = (await page.getAttribute("[data-try-it]", "data-last-status")) ?? "";
      if (status === "200") break;
      await page.waitForTimeout(200);
    }
    expect(status).toBe("200");
    expect(await page.locator("[data-try-body]").textContent()).toContain("test-upstream");
    await shot("app-try-it");

    // The same call as the developer's own code would make it, from the page.
    const answer = await page.evaluate(async (apiKey) => {
      const response = await fetch("/orders/v2/orders", { headers: { "X-API-Key": apiKey } });
      return { status: response.status, body: await response.text() };
    }, key);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ answeredBy: "test-upstream" });

    // Usage shows the calls (the gateway flushes its counts every second).
    const usageDeadline = Date.now() + 5_000;
    let calls = 0;
    while (Date.now() < usageDeadline && calls === 0) {
      await page.click("[data-refresh-usage]");
      await page.waitForTimeout(300);
      calls = await page.$$eval('[data-usage-api="orders-v2"] [data-calls]', (cells) => Number(cells[0]?.getAttribute("data-calls") ?? 0));
    }
    expect(calls).toBeGreaterThan(0);
    await shot("app-usage");

    // Rotate: a new key, shown once; the old one stays for the overlap. Then revoke the new one.
    await page.click("[data-rotate]");
    await page.waitForFunction((old) => (globalThis as any).document.getElementById("new-key").textContent !== old, key);
    const rotated = (await page.locator("#new-key").textContent())!;
    expect(rotated).toMatch(/^tp_/);
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll("#key-list tr[data-key-id]").length === 2);
    const newRow = page.locator("#key-list tr[data-key-id]", { has: page.locator("td", { hasText: /^active$/ }) });
    page.once("dialog", (dialog) => void dialog.accept());
    await newRow.locator("[data-revoke]").click();
    await page.waitForFunction(() => /revoked/.test((globalThis as any).document.getElementById("key-list").textContent));
    await shot("app-rotated-revoked");
  }, 30_000);

  it("tries a POST with a body and a GET with a path parameter from the API page, with the issued key", async () => {
    expect(issuedKey).toMatch(/^tp_/);
    await page.goto(url("apis/orders-v2/"));
    await page.fill("#try-api-key", issuedKey);
    const before = upstream.requests.length;

    // POST /orders: the header parameter and the JSON body come prefilled from the contract's examples.
    const create = page.locator('form[data-try-operation="createOrder"]');
    await page.locator("#op-createOrder summary").filter({ hasText: "Try it" }).click();
    expect(await create.locator('[data-param-name="Idempotency-Key"]').inputValue()).toBe("5f0c8a3e-2b1d-4c6f-9a7e-3d2b1c0f9e8a");
    expect(JSON.parse(await create.locator("textarea").inputValue())).toMatchObject({ customerId: "cus_7Hk2Lm9Qp4Rt" });
    await create.locator('button[type="submit"]').click();
    await page.waitForFunction(() => (globalThis as any).document.querySelector('form[data-try-operation="createOrder"]').hasAttribute("data-last-status"));
    expect(await create.getAttribute("data-last-status")).toBe("200");
    expect(await create.locator("[data-try-status]").textContent()).toBe("200 OK");
    expect(await create.locator("[data-try-body]").textContent()).toContain('"answeredBy": "test-upstream"');
    expect(await create.locator("[data-try-headers]").textContent()).toMatch(/^content-type: application\/json/m);
    expect(await create.locator("[data-try-response]").getAttribute("aria-live")).toBe("polite");
    await shotOf("#op-createOrder", "orders-v2-try-it-post");

    // GET /orders/{orderId}, with the path parameter edited.
    const get = page.locator('form[data-try-operation="getOrder"]');
    await page.locator("#op-getOrder summary").filter({ hasText: "Try it" }).click();
    await get.locator('[data-param-name="orderId"]').fill("ord_e2eTest00001");
    await get.locator('button[type="submit"]').click();
    await page.waitForFunction(() => (globalThis as any).document.querySelector('form[data-try-operation="getOrder"]').hasAttribute("data-last-status"));
    expect(await get.getAttribute("data-last-status")).toBe("200");
    await shotOf("#op-getOrder", "orders-v2-try-it-path-parameter");

    // What the upstream received: the body as sent, the path parameter, not the key (the gateway hides it).
    const received = upstream.requests.slice(before);
    expect(received.map((request) => `${request.method} ${request.url}`)).toEqual(["POST /orders-v2/orders", "GET /orders-v2/orders/ord_e2eTest00001"]);
    expect(JSON.parse(received[0]!.body)).toMatchObject({ customerId: "cus_7Hk2Lm9Qp4Rt", items: [{ sku: "SKU-1001", quantity: 2 }, { sku: "SKU-2040", quantity: 1 }] });
    expect(received[0]!.headers["idempotency-key"]).toBe("5f0c8a3e-2b1d-4c6f-9a7e-3d2b1c0f9e8a");

    // Without a key the form says so and sends nothing.
    await page.fill("#try-api-key", "");
    await get.locator('button[type="submit"]').click();
    expect(await get.locator("[data-try-error]").textContent()).toBe("Enter your API key above the operations first.");
    expect(upstream.requests.length).toBe(before + 2);
  }, 30_000);

  it("shows code samples in tabs, switched with the arrow keys, with the gateway's origin and a copy button", async () => {
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(gateway.url).origin });
    await page.goto(url("apis/orders-v2/"));
    const samples = page.locator("#op-createOrder [data-samples]");
    const visiblePanels = () => samples.locator('[role="tabpanel"]:not([hidden])').evaluateAll((panels) => panels.map((panel) => panel.getAttribute("data-language")));
    expect(await samples.locator('[role="tablist"]').isVisible()).toBe(true);
    expect(await visiblePanels()).toEqual(["curl"]);
    const curl = (await samples.locator("#op-createOrder-code-curl").textContent())!;
    expect(curl).toContain(`--url ${new URL(gateway.url).origin}/orders/v2/orders`);
    // Keyboard: focus the selected tab, → moves to JavaScript; the choice applies to every operation.
    await samples.locator('[role="tab"][aria-selected="true"]').focus();
    await page.keyboard.press("ArrowRight");
    expect(await visiblePanels()).toEqual(["javascript"]);
    expect(await page.evaluate(() => (globalThis as any).document.activeElement.id)).toBe("op-createOrder-tab-javascript");
    expect(await page.locator('#op-getOrder [role="tab"][aria-selected="true"]').getAttribute("data-language")).toBe("javascript");
    await page.keyboard.press("End");
    expect(await visiblePanels()).toEqual(["java"]);
    await page.keyboard.press("Home");
    expect(await visiblePanels()).toEqual(["curl"]);
    // Copy: the sample's text, with the gateway's origin, on the clipboard.
    await samples.locator('[data-copy="op-createOrder-code-curl"]').click();
    await page.waitForFunction(() => (globalThis as any).document.querySelector('#op-createOrder-sample-curl [data-copied]').textContent !== "");
    expect(await samples.locator("#op-createOrder-sample-curl [data-copied]").textContent()).toBe("Copied.");
    expect(await page.evaluate(() => (globalThis as any).navigator.clipboard.readText())).toBe(curl);
    await shotOf("#op-createOrder [data-samples]", "orders-v2-code-samples");
    // The SDK is downloadable from the page: a gzip file.
    const sdk = await page.evaluate(async () => {
      const href = (globalThis as any).document.querySelector("a[data-sdk-package]").href;
      const response = await fetch(href);
      const bytes = new Uint8Array(await response.arrayBuffer());
      return { status: response.status, magic: [bytes[0], bytes[1]] };
    });
    expect(sdk).toEqual({ status: 200, magic: [0x1f, 0x8b] });
  });

  it("shows the portal API's problems to the user, and signs out and in again", async () => {
    await page.goto(url("account/"));
    await page.waitForSelector("[data-signed-in]:not([hidden])");
    await page.click("[data-signout]");
    await page.waitForURL(/\/account\/signin\/\?next=/);
    await page.fill("#email", "ada@example.com");
    await page.fill("#password", "not the password");
    await page.click('button[type="submit"]');
    await page.waitForSelector("[data-error]:not(:empty)");
    expect(await page.locator("[data-error]").textContent()).toContain("the e-mail address or the password is wrong");
    await shot("signin-error");
    await page.fill("#password", "a long enough passphrase");
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/account\/$/);
    await page.waitForSelector('[data-app-id] a');
    expect(await page.locator("[data-app-id] a").first().textContent()).toBe("Ada's storefront");
  });

  it("passes axe-core's WCAG 2 A and AA checks on every kind of page", async () => {
    // A context of its own that lets axe's script in (the portal's CSP admits only its own scripts).
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    const checked = await context.newPage();
    const violations: string[] = [];
    try {
      for (const path of ["", "catalog/", "apis/orders-v1/", "apis/orders-v2/", "apis/payments-v1/", "apis/catalog-v1/", "apis/orders-v2/changelog.html", "products/", "plans/", "account/signup/", "account/signin/"]) {
        await checked.goto(url(path));
        // API pages: every try-it form open, so its fields are checked too.
        await checked.evaluate(() => (globalThis as any).document.querySelectorAll("details").forEach((details: any) => (details.open = true)));
        await checked.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
        const result = (await checked.evaluate(() => (globalThis as any).axe.run((globalThis as any).document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }))) as { violations: { id: string; nodes: { target: string[] }[] }[]; passes: unknown[] };
        // axe ran and checked something (landmarks, labels, contrast…) on the page.
        expect(result.passes.length).toBeGreaterThan(10);
        for (const violation of result.violations) violations.push(`${path || "home"}: ${violation.id} at ${violation.nodes.map((node) => node.target.join(" ")).join(", ")}`);
      }
    } finally {
      await context.close();
    }
    expect(violations).toEqual([]);
  }, 90_000);

  it("loaded nothing from another origin and had no script errors", () => {
    expect(foreign).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
