/**
 * Code samples and try-it forms on the API pages: the example request is the contract's
 * (parameter and body examples, schema samples where it has none), the samples carry the
 * credentials the policies require, every language is there, and what the page shows is
 * escaped.
 */
import { OpenApi, Plan, Product, apiKey } from "../../constructs/index";
import type { GatewayConfig } from "../../constructs/manifest/schema";
import { API_KEY_PLACEHOLDER, GATEWAY_PLACEHOLDER, SAMPLE_LANGUAGES, TOKEN_PLACEHOLDER, codeSamples } from "../../portal-site/code-samples";
import { generatePortal } from "../../portal-site/index";
import { authOf, credentialsOf } from "../../portal-site/model";
import { requestExample } from "../../portal-site/request-example";
import { acmePlatform } from "../../stacks/acme";
import { itemsApi, itemsContract, testPlatform } from "../helpers/declaration";
import { manifestOf } from "../helpers/gateway";

let manifest: GatewayConfig;

beforeAll(async () => {
  manifest = (await manifestOf(acmePlatform())).manifest;
});

function api(id: string) {
  const found = manifest.spec.apis.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no API ${id}`);
  return found;
}

function samplesOf(apiId: string, operationId: string): Record<string, string> {
  const target = api(apiId);
  const operation = target.operations.find((candidate) => candidate.operationId === operationId)!;
  const samples = codeSamples(requestExample(target, operation), credentialsOf(authOf(manifest, target), operationId));
  return Object.fromEntries(samples.map((sample) => [sample.language, sample.code]));
}

/** Text content of an HTML fragment (tags dropped, the escaper's entities decoded). */
function text(htmlText: string): string {
  return htmlText.replace(/<[^>]+>/g, "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");
}

describe("the example request of an operation", () => {
  it("takes parameter and body values from the contract's examples", () => {
    const orders = api("orders-v2");
    const create = requestExample(orders, orders.operations.find((operation) => operation.operationId === "createOrder")!);
    expect(create.parameters).toEqual([expect.objectContaining({ name: "Idempotency-Key", in: "header", required: true, value: "5f0c8a3e-2b1d-4c6f-9a7e-3d2b1c0f9e8a", fromExample: true })]);
    expect(create.body!.mediaType).toBe("application/json");
    // The first of the media type's named examples ("twoItems").
    expect(JSON.parse(create.body!.text)).toMatchObject({ customerId: "cus_7Hk2Lm9Qp4Rt", items: [{ sku: "SKU-1001", quantity: 2 }, { sku: "SKU-2040", quantity: 1 }], note: "Please leave the parcel with the neighbours." });
    const get = requestExample(orders, orders.operations.find((operation) => operation.operationId === "getOrder")!);
    expect(get.parameters.find((parameter) => parameter.in === "path")).toMatchObject({ name: "orderId", value: "ord_5kQx7hT2mZ9wLp3R", fromExample: true });
    // JSON Merge Patch is JSON too: the body is pretty JSON.
    const update = requestExample(orders, orders.operations.find((operation) => operation.operationId === "updateOrder")!);
    expect(update.body!.mediaType).toBe("application/merge-patch+json");
    expect(() => JSON.parse(update.body!.text)).not.toThrow();
  });

  it("samples the schema (patterns included) where the contract has no example", async () => {
    const platform = testPlatform();
    const contract = itemsContract((document) => {
      const paths = document.paths as Record<string, Record<string, unknown>>;
      paths["/items/{itemId}"] = {
        put: {
          operationId: "putItem",
          parameters: [
            { name: "itemId", in: "path", required: true, schema: { type: "string", pattern: "^itm_[0-9]{4}$" } },
            { name: "dryRun", in: "query", required: false, schema: { type: "boolean" } },
          ],
          requestBody: { required: true, content: { "application/json": { schema: { type: "object", required: ["name"], properties: { name: { type: "string", example: "Widget" }, count: { type: "integer", minimum: 3 } } } } } },
          responses: { "200": { description: "ok" } },
        },
      };
    });
    const items = itemsApi(platform, "things", { contract: OpenApi.fromDocument(contract) });
    new Product(platform, "shop", { apis: [items], plans: [new Plan(platform, "free", {})] });
    const declared = (await manifestOf(platform)).manifest;
    const things = declared.spec.apis.find((candidate) => candidate.name === "things")!;
    const example = requestExample(things, things.operations.find((operation) => operation.operationId === "putItem")!);
    expect(example.parameters.find((parameter) => parameter.name === "itemId")).toMatchObject({ value: expect.stringMatching(/^itm_[0-9]{4}$/), fromExample: false });
    expect(example.parameters.find((parameter) => parameter.name === "dryRun")).toMatchObject({ required: false, value: "true" });
    expect(JSON.parse(example.body!.text)).toEqual({ name: "Widget", count: 3 });
  });
});

describe("code samples", () => {
  it("are written for curl, JavaScript, Python, Go and Java, with the API key header the policy reads", () => {
    const samples = samplesOf("orders-v2", "createOrder");
    expect(Object.keys(samples)).toEqual(SAMPLE_LANGUAGES.map((language) => language.id));
    expect(samples.curl).toContain(`curl --request POST \\\n  --url ${GATEWAY_PLACEHOLDER}/orders/v2/orders`);
    expect(samples.curl).toContain(`--header 'X-API-Key: ${API_KEY_PLACEHOLDER}'`);
    expect(samples.curl).toContain("--header 'Idempotency-Key: 5f0c8a3e-2b1d-4c6f-9a7e-3d2b1c0f9e8a'");
    expect(samples.curl).toContain(`--data '{"customerId":"cus_7Hk2Lm9Qp4Rt"`);
    expect(samples.javascript).toContain("await fetch(url, options)");
    expect(samples.javascript).toContain(`'X-API-Key': '${API_KEY_PLACEHOLDER}'`);
    expect(samples.python).toContain("requests.post(url, json=payload, headers=headers)");
    expect(samples.go).toContain('http.NewRequest("POST", url, payload)');
    expect(samples.go).toContain(`req.Header.Add("X-API-Key", "${API_KEY_PLACEHOLDER}")`);
    expect(samples.java).toContain("HttpRequest.newBuilder()");
    expect(samples.java).toContain('.method("POST", HttpRequest.BodyPublishers.ofString(');
  });

  it("fill path parameters in and leave optional query parameters out", () => {
    const samples = samplesOf("orders-v2", "listOrderEvents");
    expect(samples.curl).toContain(`--url ${GATEWAY_PLACEHOLDER}/orders/v2/orders/ord_5kQx7hT2mZ9wLp3R/events`);
    expect(samples.curl).not.toMatch(/cursor=|limit=/);
  });

  it("send a bearer token where the API takes JWTs and nothing where an operation is anonymous", () => {
    expect(samplesOf("payments-v1", "createPayment").curl).toContain(`--header 'Authorization: Bearer ${TOKEN_PLACEHOLDER}'`);
    expect(samplesOf("payments-v1", "createPayment").curl).not.toContain("X-API-Key");
    expect(samplesOf("catalog-v1", "listProducts").curl).not.toMatch(/X-API-Key|Authorization/);
    expect(samplesOf("catalog-v1", "createProduct").curl).toContain("X-API-Key");
  });

  it("put a query-parameter key in the URL", async () => {
    const platform = testPlatform();
    const queryKey = itemsContract((document) => {
      (document.components as { securitySchemes: unknown }).securitySchemes = { ApiKeyAuth: { type: "apiKey", in: "query", name: "api_key" } };
    });
    const items = itemsApi(platform, "items", { contract: OpenApi.fromDocument(queryKey), policies: [apiKey()] });
    new Product(platform, "shop", { apis: [items], plans: [new Plan(platform, "free", {})] });
    const declared = (await manifestOf(platform)).manifest;
    const target = declared.spec.apis[0]!;
    const operation = target.operations.find((candidate) => candidate.operationId === "listItems")!;
    const samples = codeSamples(requestExample(target, operation), credentialsOf(authOf(declared, target), operation.operationId));
    expect(samples.find((sample) => sample.language === "curl")!.code).toContain(`api_key=${API_KEY_PLACEHOLDER}`);
    expect(samples.find((sample) => sample.language === "python")!.code).toContain(`"api_key":"${API_KEY_PLACEHOLDER}"`);
  });
});

describe("the API page's operations", () => {
  let page: string;
  beforeAll(() => {
    page = generatePortal(manifest).find((file) => file.path === "apis/orders-v2/index.html")!.bytes.toString("utf8");
  });

  it("has a block per operation with a tab and a copyable sample per language", () => {
    for (const operation of api("orders-v2").operations) {
      const block = new RegExp(`<section class="operation" id="op-${operation.operationId}"[^]*?</section>`).exec(page)?.[0];
      expect(block).toBeDefined();
      for (const language of SAMPLE_LANGUAGES) {
        expect(block).toContain(`role="tab" id="op-${operation.operationId}-tab-${language.id}" aria-controls="op-${operation.operationId}-sample-${language.id}"`);
        expect(block).toContain(`<code id="op-${operation.operationId}-code-${language.id}"`);
        expect(block).toContain(`data-copy="op-${operation.operationId}-code-${language.id}"`);
      }
      // The sample shown is the sample generated (escaped in the page, the same text once read).
      const curl = new RegExp(`<code id="op-${operation.operationId}-code-curl"[^>]*>([^]*?)</code>`).exec(block!)![1]!;
      expect(text(curl)).toBe(samplesOf("orders-v2", operation.operationId).curl);
      // The origin is marked for the page to show the gateway's.
      expect(curl).toContain(`<span data-gateway-origin>${GATEWAY_PLACEHOLDER}</span>`);
      // The operations table links to the block.
      expect(page).toContain(`<a href="#op-${operation.operationId}"><code>${operation.route}</code></a>`);
    }
  });

  it("has a try-it form per operation with its parameters, the example body and the credentials it needs", () => {
    const form = /<form class="try-it" data-try-operation="createOrder"[^]*?<\/form>/.exec(page)![0];
    expect(form).toContain('data-method="POST" data-route="/orders/v2/orders"');
    expect(JSON.parse(text(/data-credentials="([^"]*)"/.exec(form)![1]!))).toEqual({ apiKey: [{ in: "header", name: "x-api-key" }], bearer: [] });
    expect(form).toMatch(/<label for="op-createOrder-param-0">Idempotency-Key <span class="muted">\(header, required\)<\/span><\/label>\n<input id="op-createOrder-param-0" name="param-0" data-param-in="header" data-param-name="Idempotency-Key" value="5f0c8a3e-2b1d-4c6f-9a7e-3d2b1c0f9e8a"/);
    const body = /<textarea id="op-createOrder-body"[^>]*data-media-type="application\/json"[^>]*>([^]*?)<\/textarea>/.exec(form)![1]!;
    expect(JSON.parse(text(body))).toMatchObject({ customerId: "cus_7Hk2Lm9Qp4Rt" });
    expect(form).toContain('aria-live="polite" data-try-response');
    // One key field for the page, labelled.
    expect(page).toContain('<label for="try-api-key">Your API key</label><input id="try-api-key"');
    const optional = /<input id="op-listOrders-param-\d+" name="param-\d+" data-param-in="query" data-param-name="limit" value="" placeholder="20"/.exec(page);
    expect(optional).not.toBeNull();
  });

  it("asks for a token on a JWT API, and offers no try-it on a retired version", async () => {
    const payments = generatePortal(manifest).find((file) => file.path === "apis/payments-v1/index.html")!.bytes.toString("utf8");
    expect(payments).toContain('<label for="try-token">Your access token (JWT)</label>');
    expect(payments).not.toContain('id="try-api-key"');
    expect(payments).toContain('&quot;bearer&quot;:[&quot;Authorization&quot;]');

    const platform = testPlatform();
    const items = itemsApi(platform, "items", { lifecycle: "retired" });
    new Product(platform, "shop", { apis: [items], plans: [new Plan(platform, "free", {})] });
    const declared = (await manifestOf(platform)).manifest;
    const retired = generatePortal(declared).find((file) => file.path === `apis/${declared.spec.apis[0]!.id}/index.html`)!.bytes.toString("utf8");
    expect(retired).not.toContain("data-try-operation");
    expect(retired).toContain("This version is retired: its operations answer 410 Gone.");
    expect(retired).not.toContain('id="sdk-heading"');
  });

  it("escapes contract content in samples, forms and descriptions", async () => {
    const platform = testPlatform();
    const contract = itemsContract((document) => {
      const paths = document.paths as Record<string, Record<string, Record<string, unknown>>>;
      const first = Object.values(paths)[0]!;
      const operation = Object.values(first)[0]!;
      operation.parameters = [{ name: "x-evil", in: "header", required: true, description: "<img src=x onerror=alert(1)>", schema: { type: "string" }, example: "</code><script>alert(1)</script>" }];
    });
    const items = itemsApi(platform, "items", { contract: OpenApi.fromDocument(contract) });
    new Product(platform, "shop", { apis: [items], plans: [new Plan(platform, "free", {})] });
    const declared = (await manifestOf(platform)).manifest;
    const hostile = generatePortal(declared).find((file) => file.path === `apis/${declared.spec.apis[0]!.id}/index.html`)!.bytes.toString("utf8");
    expect(hostile).not.toContain("<script>alert");
    expect(hostile).not.toContain("<img src=x");
    expect(hostile).toContain("&lt;/code&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
  });
});
