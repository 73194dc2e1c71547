/**
 * Acme's API platform, declared as code: what `npm start` serves, what the portal shows and
 * what the deployment targets are built from. `npx turnpike synth` compiles it to
 * `dist/manifest.json`.
 */
import {
  Api,
  AwsGateway,
  Consumer,
  Credential,
  KubernetesGateway,
  OpenApi,
  Plan,
  Platform,
  Product,
  Secret,
  Slo,
  apiKey,
  cache,
  cors,
  jwt,
  masking,
  quota,
  rateLimit,
  requestSizeLimit,
  requestValidation,
  threatProtection,
  transform,
} from "../constructs/index";

/** Builds the declaration. A function, so tests can build as many independent copies as they need. */
export function acmePlatform(): Platform {
  const acme = new Platform("acme", {
    title: "Acme Developer Platform",
    description: "Orders, catalog and payments APIs for Acme's partners, storefronts and internal teams.",
    regions: ["eu-west-1", "us-east-1"],
    gateway: { trustedProxies: ["10.0.0.0/8"] },
    // Every API is screened and size-limited unless it says otherwise.
    policies: [threatProtection(), requestSizeLimit({ maxBodyBytes: 262_144 })],
  });

  // Plans: what a subscription gives and costs.
  const free = new Plan(acme, "free", {
    title: "Free",
    description: "For trying the APIs and for hobby projects.",
    rateLimit: { requests: 10, perSeconds: 1, burst: 20 },
    quota: { requests: 10_000, period: "month" },
    // Hobby projects do not see who orders are shipped to: the recipient and street are redacted.
    policies: [masking({ fields: [{ path: "$..shippingAddress.name" }, { path: "$..shippingAddress.line1" }] })],
  });
  const pro = new Plan(acme, "pro", {
    title: "Pro",
    description: "For production storefronts and integrations.",
    rateLimit: { requests: 100, perSeconds: 1, burst: 200 },
    quota: { requests: 1_000_000, period: "month" },
    pricing: { model: "flat", monthlyPrice: 49, currency: "USD" },
  });
  const enterprise = new Plan(acme, "enterprise", {
    title: "Enterprise",
    description: "High volume with a negotiated contract and support.",
    rateLimit: { requests: 1_000, perSeconds: 1, burst: 2_000 },
    pricing: { model: "custom", contact: "mailto:partners@acme.example" },
    policies: [transform({ request: { headers: { set: { "x-acme-tier": "enterprise" } } } })],
  });

  const storefronts = cors({ origins: ["https://shop.acme.example", "https://www.acme.example"] });

  // Orders: version 1 is deprecated in favour of version 2; both are served side by side.
  const ordersV2 = new Api(acme, "orders-v2", {
    name: "orders",
    version: "2.1.0",
    owner: "team-orders",
    tags: ["commerce"],
    contract: OpenApi.fromFile("stacks/apis/orders-v2.yaml"),
    upstream: {
      targets: [{ url: "http://orders-v2.internal:8080" }],
      timeoutMs: 3_000,
      retries: { maxRetries: 2 },
      circuitBreaker: {},
      mock: true,
    },
    policies: [apiKey(), requestValidation(), storefronts],
    operations: {
      createOrder: { policies: [rateLimit({ requests: 2, perSeconds: 1 })] },
      listOrderEvents: { policies: [cache({ ttlSeconds: 5 })] },
    },
    slo: { availability: 99.9, latencyP95Ms: 150, latencyP99Ms: 400, throughputRps: 200 },
  });
  const ordersV1 = new Api(acme, "orders-v1", {
    name: "orders",
    version: "1.4.0",
    lifecycle: "deprecated",
    deprecatedSince: "2026-09-01",
    sunset: "2027-06-30",
    successor: ordersV2,
    owner: "team-orders",
    tags: ["commerce"],
    contract: OpenApi.fromFile("stacks/apis/orders-v1.yaml"),
    upstream: { targets: [{ url: "http://orders-v1.internal:8080" }], timeoutMs: 3_000, mock: true },
    policies: [apiKey(), requestValidation(), storefronts],
    operations: { createOrder: { policies: [rateLimit({ requests: 2, perSeconds: 1 })] } },
    slo: { availability: 99.5, latencyP95Ms: 250 },
  });

  // Catalog: public reads limited per IP and cached; writes need a key.
  const catalog = new Api(acme, "catalog", {
    version: "1.2.0",
    owner: "team-catalog",
    tags: ["commerce"],
    contract: OpenApi.fromFile("stacks/apis/catalog.yaml"),
    upstream: {
      targets: [
        { url: "http://catalog-a.internal:8080", weight: 2 },
        { url: "http://catalog-b.internal:8080", weight: 1 },
      ],
      loadBalancing: "least-request",
      healthCheck: { path: "/healthz" },
      outlierDetection: {},
      mock: true,
    },
    policies: [apiKey(), requestValidation(), cors({ origins: ["*"] }), rateLimit({ requests: 50, perSeconds: 1, key: "ip" }), cache({ ttlSeconds: 60 })],
    operations: { listProducts: { policies: [cache({ ttlSeconds: 30, varyHeaders: ["accept-language"] })] } },
    slo: { availability: 99.95, latencyP50Ms: 20, latencyP95Ms: 80, throughputRps: 500 },
    governance: {
      waive: [
        {
          rule: "operation-auth",
          reason: "catalog reads (listCategories, listProducts, getProduct) are public by design, so storefronts can browse without a key; they are rate limited per IP and cached, and every write needs an API key",
        },
      ],
    },
  });

  // Payments: machine-to-machine, OAuth2 client credentials, no browsers.
  const payments = new Api(acme, "payments", {
    version: "1.0.0",
    owner: "team-payments",
    tags: ["finance"],
    contract: OpenApi.fromFile("stacks/apis/payments.yaml"),
    upstream: {
      targets: [{ url: "https://payments.internal:8443" }],
      failover: [{ url: "https://payments.dr.internal:8443" }],
      timeoutMs: 10_000,
      perTryTimeoutMs: 5_000,
      circuitBreaker: { consecutiveFailures: 3 },
      mock: true,
    },
    policies: [
      jwt({
        issuer: "https://auth.acme.example/",
        jwksUrl: "https://auth.acme.example/.well-known/jwks.json",
        audiences: ["https://api.acme.example/payments"],
        algorithms: ["RS256", "ES256"],
      }),
      requestValidation({ rejectUnknownQueryParameters: true }),
      requestSizeLimit({ maxBodyBytes: 16_384 }),
    ],
    excludePolicies: [],
    operations: { refundPayment: { policies: [quota({ requests: 1_000, period: "day", key: "global" })] } },
  });
  new Slo(acme, "payments-writes", { api: payments, operations: ["createPayment", "refundPayment"], availability: 99.99, latencyP99Ms: 800 });

  // Products: what consumers subscribe to.
  const commerce = new Product(acme, "commerce", {
    title: "Commerce",
    description: "Browse the catalog and place and track orders.",
    apis: [catalog, ordersV2, ordersV1],
    plans: [free, pro, enterprise],
    approval: "auto",
  });
  const finance = new Product(acme, "finance", {
    title: "Payments",
    description: "Take payments and refunds. Subscriptions are reviewed by the payments team.",
    apis: [payments],
    plans: [pro, enterprise],
    approval: "manual",
  });

  // Declared consumers: keys live in the environment (or a secret store), never in code.
  new Consumer(acme, "demo", {
    displayName: "Demo app",
    contact: "devrel@acme.example",
    subscriptions: [{ product: commerce, plan: free }],
    credentials: [Credential.apiKey({ secret: Secret.fromEnv("TURNPIKE_DEMO_API_KEY") })],
  });
  new Consumer(acme, "shop-frontend", {
    displayName: "Acme web shop",
    contact: "web-team@acme.example",
    subscriptions: [{ product: commerce, plan: "pro" }],
    credentials: [Credential.apiKey({ secret: Secret.fromKubernetes("shop-frontend-api-key", "key") })],
  });
  new Consumer(acme, "partner-logistics", {
    displayName: "Northwind Logistics",
    contact: "integrations@northwind.example",
    subscriptions: [{ product: commerce, plan: enterprise }],
    credentials: [Credential.apiKey({ secret: Secret.fromAwsSecretsManager("turnpike/consumers/partner-logistics", "apiKey"), expires: "2027-12-31" })],
  });
  new Consumer(acme, "billing-service", {
    displayName: "Billing service",
    contact: "billing@acme.example",
    subscriptions: [{ product: finance, plan: enterprise }],
    credentials: [Credential.jwt({ subject: "billing-service", issuer: "https://auth.acme.example/" })],
  });

  // Where it runs: the bundled gateway in one Kubernetes cluster per region (`turnpike synth`
  // writes the charts to dist/kubernetes/<region>/; `pulumi up` deploys them).
  new KubernetesGateway(acme, "kubernetes", {
    replicas: { min: 3, max: 20, targetCpuUtilizationPercent: 65 },
    resources: { cpuRequestMillicores: 500, cpuLimitMillicores: 1_000, memoryRequestMiB: 256, memoryLimitMiB: 512 },
    redis: { url: Secret.fromKubernetes("turnpike-redis", "url"), egress: { cidrs: ["10.40.0.0/16"] } },
    controlStore: { url: Secret.fromKubernetes("turnpike-postgres", "url"), egress: { cidrs: ["10.50.0.0/16"] } },
    monitoring: { labels: { release: "kube-prometheus-stack" } },
    // One trace in ten that starts here, and every trace a caller samples, to the collector.
    tracing: { otlpEndpoint: "http://otel-collector.observability:4318", sampleRatio: 0.1 },
    regions: [
      {
        name: "eu-west-1",
        ingress: { style: "gateway-api", gatewayClassName: "eg", hostnames: ["api.eu.acme.example"], tlsSecretName: "api-eu-acme-example-tls" },
      },
      {
        // The smaller region: an Ingress controller, and a Redis of its own in the namespace.
        name: "us-east-1",
        replicas: { min: 2, max: 8 },
        redis: { inCluster: { storageGiB: 2 } },
        ingress: { style: "ingress", ingressClassName: "nginx", hostnames: ["api.us.acme.example"], tlsSecretName: "api-us-acme-example-tls" },
      },
    ],
  });

  // And on AWS API Gateway in the same regions (`turnpike synth` writes each REST API's OpenAPI
  // to dist/aws/<region>/; `pulumi up` deploys them with usage plans, WAF, SLO alarms, DNS and the portal).
  new AwsGateway(acme, "aws", {
    regions: [
      { name: "eu-west-1", nodeGatewayUrl: "https://api.eu.acme.example", alarmTopicArn: "arn:aws:sns:eu-west-1:111122223333:acme-api-alerts" },
      { name: "us-east-1", nodeGatewayUrl: "https://api.us.acme.example", alarmTopicArn: "arn:aws:sns:us-east-1:111122223333:acme-api-alerts" },
    ],
    waf: { rateLimitPerFiveMinutes: 3_000 },
    logRetentionDays: 90,
    // api.acme.example in both regions, certificates issued through the zone, and Route 53
    // sending each client to the nearest region whose public catalog listing answers.
    customDomain: {
      domainName: "api.acme.example",
      hostedZone: { id: "Z0ACME0EXAMPLE0ZONE01", name: "acme.example" },
      failover: { healthCheckPath: "/catalog/v1/products" },
    },
    portal: { priceClass: "PriceClass_100" },
    // Every Acme API uses something AWS cannot enforce (`turnpike synth` without these lines
    // lists them): the platform's 256 KiB body limit, the enterprise plan's transform, upstream
    // retries, payments' unknown-query-parameter rejection. Those APIs are proxied to the Node
    // gateway, which enforces their whole chain; AWS adds WAF, access logs and tracing in front.
    gatewayFallback: { "catalog-v1": "node", "orders-v1": "node", "orders-v2": "node", "payments-v1": "node" },
  });

  return acme;
}

export default acmePlatform;
