/** The example organisation in stacks/: what npm start serves and the portal will show. */
import { compileManifest } from "../../constructs/index";
import type { GatewayConfig } from "../../constructs/manifest/schema";
import { acmePlatform } from "../../stacks/acme";
import { chainOf } from "../helpers/declaration";

type Json = Record<string, unknown>;

let manifest: GatewayConfig;
beforeAll(async () => {
  const result = await compileManifest(acmePlatform());
  expect(result.diagnostics).toEqual([]);
  manifest = result.manifest!;
});

/** Follows a local `$ref` inside a bundled contract. */
function deref(document: Json, value: unknown): Json {
  let node = value as Json;
  while (typeof node?.$ref === "string") {
    node = (node.$ref as string).slice(2).split("/").reduce<Json>((at, segment) => at[segment.replace(/~1/g, "/").replace(/~0/g, "~")] as Json, document);
  }
  return node;
}

const hasExample = (media: Json) => media.example !== undefined || Object.keys((media.examples as Json) ?? {}).length > 0;

describe("stacks/acme.ts", () => {
  it("compiles with no errors and no warnings", () => {
    expect(manifest.metadata.name).toBe("acme");
  });

  it("declares at least three APIs, one of them in two versions with the old one deprecated", () => {
    expect(manifest.spec.apis.map((api) => [api.id, api.version, api.lifecycle, api.basePath])).toEqual([
      ["catalog-v1", "1.2.0", "published", "/catalog/v1"],
      ["orders-v1", "1.4.0", "deprecated", "/orders/v1"],
      ["orders-v2", "2.1.0", "published", "/orders/v2"],
      ["payments-v1", "1.0.0", "published", "/payments/v1"],
    ]);
    const v1 = manifest.spec.apis.find((api) => api.id === "orders-v1")!;
    expect([v1.sunset, v1.successor]).toEqual(["2027-06-30", "orders-v2"]);
  });

  it("offers three plans in two products and declares consumers on them", () => {
    expect(manifest.spec.plans.map((plan) => [plan.name, plan.pricing.model])).toEqual([
      ["enterprise", "custom"],
      ["free", "free"],
      ["pro", "flat"],
    ]);
    expect(manifest.spec.products.map((product) => [product.name, product.apis, product.plans, product.approval])).toEqual([
      ["commerce", ["catalog-v1", "orders-v1", "orders-v2"], ["enterprise", "free", "pro"], "auto"],
      ["finance", ["payments-v1"], ["enterprise", "pro"], "manual"],
    ]);
    expect(manifest.spec.consumers.map((consumer) => consumer.name)).toEqual(["billing-service", "demo", "partner-logistics", "shop-frontend"]);
    expect(manifest.spec.consumers.flatMap((consumer) => consumer.credentials).every((credential) => credential.type !== "apiKey" || "source" in credential.secret)).toBe(true);
  });

  it("has complete contracts: every operation summarized, with examples for its body and its success response, and error responses", () => {
    const gaps: string[] = [];
    for (const api of manifest.spec.apis) {
      const document = api.contract.document;
      for (const operation of api.operations) {
        const raw = deref(document, ((document.paths as Json)[operation.path] as Json)[operation.method.toLowerCase()]);
        const where = `${api.id} ${operation.operationId}`;
        if (!raw.summary || !raw.description) gaps.push(`${where}: summary/description`);
        if (raw.requestBody) {
          const body = deref(document, raw.requestBody);
          for (const [type, media] of Object.entries(body.content as Json)) if (!hasExample(media as Json)) gaps.push(`${where}: request ${type} example`);
        }
        const responses = raw.responses as Json;
        const success = Object.keys(responses).filter((status) => status.startsWith("2"));
        if (success.length === 0) gaps.push(`${where}: no 2xx response`);
        for (const status of success) {
          const content = deref(document, responses[status]).content as Json | undefined;
          for (const [type, media] of Object.entries(content ?? {})) if (!hasExample(media as Json)) gaps.push(`${where}: ${status} ${type} example`);
        }
        if (!Object.keys(responses).some((status) => status.startsWith("4"))) gaps.push(`${where}: no 4xx response`);
        if (!Object.keys(responses).some((status) => status.startsWith("5"))) gaps.push(`${where}: no 5xx response`);
      }
    }
    expect(gaps).toEqual([]);
  });

  it("enforces what the contracts require: API keys on orders, public catalog reads limited by IP, JWT scopes on payments", () => {
    expect(chainOf(manifest, "orders-v2", "createOrder").map((entry) => entry.policy)).toEqual([
      "cors", "requestSizeLimit", "apiKey", "threatProtection", "requestValidation",
      "rateLimit", "rateLimit", "rateLimit", "rateLimit", "quota", "quota", "transform", "masking",
    ]);
    const listProducts = chainOf(manifest, "catalog-v1", "listProducts");
    expect(listProducts.some((entry) => entry.policy === "apiKey")).toBe(false);
    expect(listProducts.find((entry) => entry.policy === "rateLimit")?.config).toMatchObject({ key: "ip", requests: 50 });
    const refund = manifest.spec.apis.find((api) => api.id === "payments-v1")!.operations.find((operation) => operation.operationId === "refundPayment")!;
    expect(refund.security).toEqual([[{ scheme: "OAuth2", scopes: ["payments:write"] }]]);
    expect(chainOf(manifest, "payments-v1", "refundPayment").find((entry) => entry.policy === "jwt")?.config).toMatchObject({ securitySchemes: ["OAuth2"] });
  });

  it("shows the plan limits the gateway enforces: the plan record and the chain entries are the same numbers", () => {
    for (const plan of manifest.spec.plans) {
      const entries = manifest.spec.policies.filter((entry) => entry.when?.plan === plan.name);
      for (const entry of entries.filter((candidate) => candidate.policy === "rateLimit")) expect(entry.config).toEqual(plan.rateLimit);
      for (const entry of entries.filter((candidate) => candidate.policy === "quota")) expect(entry.config).toEqual(plan.quota);
    }
  });
});
