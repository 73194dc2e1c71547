/** Consumer (subscriptions, credentials as secret references), Slo and Platform. */
import { Consumer, Credential, Plan, Product, Secret, Slo, compileManifest } from "../../constructs/index";
import { compileErrors, compileOk, itemsApi, testPlatform, withCode } from "../helpers/declaration";

function shop() {
  const platform = testPlatform();
  const free = new Plan(platform, "free", { rateLimit: { requests: 10 } });
  const pro = new Plan(platform, "pro");
  const items = itemsApi(platform);
  const product = new Product(platform, "shop", { apis: [items], plans: [free, pro] });
  return { platform, free, pro, items, product };
}

describe("Consumer", () => {
  it("compiles subscriptions and secret-referenced credentials", async () => {
    const { platform, product, pro } = shop();
    new Consumer(platform, "web", {
      displayName: "Web shop",
      contact: "web@acme.example",
      subscriptions: [{ product, plan: pro }],
      credentials: [
        Credential.apiKey({ secret: Secret.fromEnv("WEB_KEY"), expires: "2027-12-31" }),
        Credential.apiKey({ secret: Secret.fromKubernetes("web-key", "key") }),
        Credential.jwt({ subject: "web" }),
        Credential.mtls({ subject: "CN=web,O=Acme" }),
      ],
    });
    new Consumer(platform, "batch", { subscriptions: [{ product, plan: "free" }], credentials: [Credential.apiKey({ secret: Secret.fromAwsSecretsManager("keys/batch") })] });
    const { consumers } = (await compileOk(platform)).spec;
    expect(consumers).toEqual([
      {
        name: "batch",
        displayName: "batch",
        contact: null,
        declaredAt: "acme/batch",
        subscriptions: [{ product: "shop", plan: "free" }],
        credentials: [{ type: "apiKey", secret: { source: "aws-secrets-manager", secretId: "keys/batch", jsonKey: null }, expires: null }],
      },
      {
        name: "web",
        displayName: "Web shop",
        contact: "web@acme.example",
        declaredAt: "acme/web",
        subscriptions: [{ product: "shop", plan: "pro" }],
        credentials: [
          { type: "apiKey", secret: { source: "env", name: "WEB_KEY" }, expires: "2027-12-31" },
          { type: "apiKey", secret: { source: "kubernetes", name: "web-key", key: "key" }, expires: null },
          { type: "jwt", subject: "web", issuer: null },
          { type: "mtls", subject: "CN=web,O=Acme" },
        ],
      },
    ]);
  });

  it("never accepts a key written inline", async () => {
    const { platform } = shop();
    new Consumer(platform, "leaky", { credentials: [{ type: "apiKey", secret: "sk_live_123" as never }, "sk_live_456" as never] });
    const errors = await compileErrors(platform);
    expect(errors.map((error) => [error.field, error.message])).toEqual([
      ["credentials[0].secret", 'a secret must be referenced, not written inline: the declaration is committed to git. Use Secret.fromEnv("NAME") or Secret.fromFile(path)'],
      ["credentials[1]", 'a credential is never written inline (the declaration is committed to git): use Credential.apiKey({ secret: Secret.fromEnv("NAME") })'],
    ]);
    // The rejected value is not echoed back into logs either.
    expect(JSON.stringify(errors)).not.toContain("sk_live_456");
  });

  it("rejects a plan the product does not offer, with a did-you-mean", async () => {
    const { platform, product } = shop();
    const gold = new Plan(platform, "gold");
    new Consumer(platform, "web", { subscriptions: [{ product, plan: "prp" }] });
    new Consumer(platform, "partner", { subscriptions: [{ product, plan: gold }] });
    const errors = withCode(await compileErrors(platform), "unknown-plan");
    expect(errors).toEqual([
      {
        severity: "error",
        code: "unknown-plan",
        path: "acme/partner",
        field: "subscriptions[0].plan",
        message: 'product "shop" does not offer plan "gold"',
        expected: 'one of "free" and "pro"',
        received: '"gold"',
        fix: "add the plan to acme/shop's plans, or subscribe with an offered one",
      },
      {
        severity: "error",
        code: "unknown-plan",
        path: "acme/web",
        field: "subscriptions[0].plan",
        message: 'product "shop" does not offer plan "prp"',
        expected: 'one of "free" and "pro"',
        received: '"prp"',
        fix: 'did you mean "pro"?',
      },
    ]);
  });

  it("rejects subscriptions that leave the plan of an API ambiguous", async () => {
    const { platform, product, free, pro, items } = shop();
    const bundle = new Product(platform, "bundle", { apis: [items], plans: [pro] });
    new Consumer(platform, "twice", { subscriptions: [{ product, plan: free }, { product, plan: pro }] });
    new Consumer(platform, "overlap", { subscriptions: [{ product, plan: free }, { product: bundle, plan: pro }] });
    const errors = withCode(await compileErrors(platform), "ambiguous-subscription");
    expect(errors.map((error) => [error.path, error.field, error.message])).toEqual([
      ["acme/overlap", "subscriptions[1]", 'API items-v1 is in both subscribed products "shop" and "bundle"; the gateway could not tell which plan\'s limits apply to its calls'],
      ["acme/twice", "subscriptions[1]", 'subscribes to product "shop" twice; the gateway could not tell which plan\'s limits apply'],
    ]);
  });

  it("rejects one credential declared for two consumers", async () => {
    const { platform } = shop();
    new Consumer(platform, "a", { credentials: [Credential.apiKey({ secret: Secret.fromEnv("SHARED") })] });
    new Consumer(platform, "b", { credentials: [Credential.apiKey({ secret: Secret.fromEnv("SHARED"), expires: "2030-01-01" })] });
    const [error] = withCode(await compileErrors(platform), "duplicate-name");
    expect(error).toMatchObject({ path: "acme/b", field: "credentials[0]", message: "the same apiKey credential is declared for acme/a; the gateway could not tell the two consumers apart" });
  });

  it("validates the contact address", async () => {
    const { platform } = shop();
    new Consumer(platform, "web", { contact: "not-an-email" });
    const [error] = await compileErrors(platform);
    expect(error).toMatchObject({ path: "acme/web", field: "contact", message: "Invalid email address", received: '"not-an-email"' });
  });
});

describe("Slo", () => {
  it("compiles the API's slo prop and standalone SLOs for some operations", async () => {
    const { platform } = shop();
    const api = itemsApi(platform, "stock", { basePath: "/stock", slo: { availability: 99.9, latencyP95Ms: 150 } });
    new Slo(platform, "writes", { api, operations: ["deleteItem", "createItem"], latencyP99Ms: 800, errorRatePercent: 1, throughputRps: 50, windowDays: 7 });
    const result = await compileManifest(platform);
    expect(result.manifest?.spec.slos).toEqual([
      { id: "stock-v1/default", name: "default", api: "stock-v1", operations: [], availability: 99.9, latencyP50Ms: null, latencyP95Ms: 150, latencyP99Ms: null, errorRatePercent: null, throughputRps: null, windowDays: 30, declaredAt: "acme/stock/default" },
      { id: "stock-v1/writes", name: "writes", api: "stock-v1", operations: ["createItem", "deleteItem"], availability: null, latencyP50Ms: null, latencyP95Ms: null, latencyP99Ms: 800, errorRatePercent: 1, throughputRps: 50, windowDays: 7, declaredAt: "acme/writes" },
    ]);
  });

  it("needs an objective, ordered percentiles, a percentage below 100 and known operations", async () => {
    const { platform, items } = shop();
    new Slo(platform, "nothing", { api: items });
    new Slo(platform, "upside-down", { api: items, latencyP50Ms: 300, latencyP95Ms: 100 });
    new Slo(platform, "perfect", { api: items, availability: 100 });
    new Slo(platform, "typo", { api: items, availability: 99, operations: ["getItems"] });
    const errors = await compileErrors(platform);
    expect(errors.map((error) => [error.path, error.field, error.message, error.fix])).toEqual([
      ["acme/nothing", undefined, "an SLO needs at least one objective: availability, latencyP50Ms/P95Ms/P99Ms, errorRatePercent or throughputRps", undefined],
      ["acme/perfect", "availability", "Too big: expected number to be <100", undefined],
      ["acme/typo", "operations", 'operationId "getItems" is not an operation of items-v1', 'did you mean "getItem"?'],
      ["acme/upside-down", "latencyP99Ms", "latency percentiles must not decrease: p50 <= p95 <= p99", undefined],
    ]);
  });
});

describe("Platform", () => {
  it("writes out its settings: regions sorted, trusted proxies normalized, request id header", async () => {
    const platform = testPlatform({ title: "Acme", regions: ["us-east-1", "eu-west-1"], gateway: { trustedProxies: ["10.0.0.0/8", "192.168.1.1", "2001:DB8::/32"], requestIdHeader: "X-Correlation-Id" } });
    const manifest = await compileOk(platform);
    expect(manifest.spec.platform).toEqual({
      name: "acme",
      title: "Acme",
      description: "",
      regions: ["eu-west-1", "us-east-1"],
      gateway: { trustedProxies: ["10.0.0.0/8", "192.168.1.1/32", "2001:db8::/32"], requestIdHeader: "x-correlation-id" },
    });
    expect(manifest.apiVersion).toBe("turnpike.dev/v1");
    expect(manifest.kind).toBe("GatewayConfig");
  });

  it("validates its name, regions and policies", async () => {
    const platform = testPlatform({ regions: ["EU West", "eu-west-1", "eu-west-1"], policies: [{ policy: "rateLimit" } as never] }, "Acme Corp");
    const errors = await compileErrors(platform);
    expect(errors.map((error) => [error.path, error.field, error.message])).toEqual([
      ["Acme Corp", undefined, 'name "Acme Corp" is not usable in URLs, metric labels and Kubernetes names: lower-case letters, digits and -, starting with a letter and not ending with -'],
      ["Acme Corp", "regions", "regions are listed once each"],
      ["Acme Corp", "regions[0]", "a region is lower-case letters, digits and -, e.g. eu-west-1"],
      ["Acme Corp/policies[0]", undefined, "not a policy declaration"],
    ]);
  });

  it("refuses a request id header that is not a header name, or that describes one connection", async () => {
    for (const [requestIdHeader, message] of [
      ["x-request-id\r\nx-admin: yes", /a header name is an RFC 9110 token/],
      ["Connection", /hop-by-hop headers .* describe one connection/],
    ] as const) {
      const errors = await compileErrors(testPlatform({ gateway: { requestIdHeader } }, "acme"));
      expect(errors.map((error) => [error.path, error.field])).toEqual([["acme", "gateway.requestIdHeader"]]);
      expect(errors[0]!.message).toMatch(message);
    }
  });

  it("is the root: constructs outside a Platform are refused at once", () => {
    const { Construct } = jest.requireActual<typeof import("constructs")>("constructs");
    const root = new Construct(undefined as never, "root");
    expect(() => new Plan(root, "free")).toThrow("free is not inside a Platform: create it with a Platform (or a construct inside one) as its scope");
  });
});
