/**
 * What an upstream is told about the client when the client is not a trusted proxy: the
 * gateway's own findings, not the client's claims (the gateway declares no trusted proxies).
 */
import { Consumer, Credential, Plan, Product, Secret } from "../../constructs/index";
import { itemsApi, testPlatform } from "../helpers/declaration";
import { type RunningGateway, startGateway } from "../helpers/gateway";
import { type TestUpstream, startUpstream } from "../helpers/upstream";

let upstream: TestUpstream;
let gateway: RunningGateway;

beforeAll(async () => {
  upstream = await startUpstream();
  const platform = testPlatform();
  const api = itemsApi(platform, "items", { upstream: { targets: [{ url: upstream.url }] } });
  const product = new Product(platform, "shop", { apis: [api], plans: [new Plan(platform, "free")] });
  new Consumer(platform, "app", { subscriptions: [{ product, plan: "free" }], credentials: [Credential.apiKey({ secret: Secret.fromEnv("APP_KEY") })] });
  gateway = await startGateway(platform, { env: { APP_KEY: "test-key-0123456789" } });
});

afterAll(async () => {
  await gateway?.stop();
  await upstream?.close();
});

it("replaces an untrusted client's Forwarded, X-Forwarded-Host and -Proto, and appends to its X-Forwarded-For", async () => {
  const response = await fetch(`${gateway.url}/items/v1/health`, {
    headers: { forwarded: 'for=203.0.113.9;proto=https;host="evil.example"', "x-forwarded-host": "evil.example", "x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.9" },
  });
  expect(response.status).toBe(200);
  const host = new URL(gateway.url).host;
  expect(upstream.requests.at(-1)!.headers).toMatchObject({
    forwarded: `for=127.0.0.1;proto=http;host="${host}"`,
    "x-forwarded-host": host,
    "x-forwarded-proto": "http",
    "x-forwarded-for": "203.0.113.9, 127.0.0.1",
  });
});
