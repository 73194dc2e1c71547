/**
 * Upstream behaviour through the real gateway to real upstream servers: weighted round
 * robin, least-request, active health checks, passive outlier ejection, retries (idempotent
 * methods only), per-try timeouts, the circuit breaker with its half-open probe, and
 * failover to the secondary group.
 */
import { createServer } from "node:net";
import { Consumer, Credential, Plan, Product, Secret, apiKey } from "../../constructs/index";
import type { UpstreamProps } from "../../constructs/upstream";
import { itemsApi, testPlatform } from "../helpers/declaration";
import { type RunningGateway, startGateway } from "../helpers/gateway";
import { type TestUpstream, type UpstreamHandler, startUpstream } from "../helpers/upstream";

const KEY = "upstream-key-0123456789";
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An upstream answering 200 with its name, unless `behaviour` says otherwise for a request. */
function named(name: string, behaviour: { current: "ok" | "fail" | "slow" | "reset" } = { current: "ok" }): UpstreamHandler {
  return (request, res) => {
    if (request.url === "/_health") {
      res.writeHead(behaviour.current === "fail" ? 500 : 200).end(name);
      return;
    }
    switch (behaviour.current) {
      case "fail":
        res.writeHead(503, { "content-type": "text/plain" }).end(`${name} is failing`);
        return;
      case "slow":
        setTimeout(() => res.writeHead(200, { "x-target": name }).end(name), 1_500).unref();
        return;
      case "reset":
        res.socket?.destroy();
        return;
      default:
        res.writeHead(200, { "x-target": name, "content-type": "text/plain" }).end(name);
    }
  };
}

async function gatewayFor(upstream: UpstreamProps): Promise<RunningGateway> {
  const platform = testPlatform();
  const api = itemsApi(platform, "items", { upstream, policies: [apiKey()] });
  const product = new Product(platform, "shop", { apis: [api], plans: [new Plan(platform, "free")] });
  new Consumer(platform, "app", { subscriptions: [{ product, plan: "free" }], credentials: [Credential.apiKey({ secret: Secret.fromEnv("APP_KEY") })] });
  return startGateway(platform, { env: { APP_KEY: KEY } });
}

/** GET /health (a public operation) `count` times, one after another; the bodies. */
async function sequential(gateway: RunningGateway, count: number, init: RequestInit = {}): Promise<{ status: number; body: string }[]> {
  const answers: { status: number; body: string }[] = [];
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${gateway.url}/items/v1/health`, init);
    answers.push({ status: response.status, body: await response.text() });
  }
  return answers;
}

const tally = (answers: readonly { body: string }[]) => answers.reduce<Record<string, number>>((all, { body }) => ({ ...all, [body]: (all[body] ?? 0) + 1 }), {});

/** A port nothing listens on: connections to it are refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const upstreams: TestUpstream[] = [];
const gateways: RunningGateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.stop()));
  await Promise.all(upstreams.splice(0).map((upstream) => upstream.close()));
});
async function upstream(handler: UpstreamHandler): Promise<TestUpstream> {
  const started = await startUpstream(handler);
  upstreams.push(started);
  return started;
}
async function gateway(config: UpstreamProps): Promise<RunningGateway> {
  const started = await gatewayFor(config);
  gateways.push(started);
  return started;
}

describe("load balancing", () => {
  it("weighted round robin spreads requests by weight, smoothly", async () => {
    const [a, b] = await Promise.all([upstream(named("a")), upstream(named("b"))]);
    const gw = await gateway({ targets: [{ url: a.url, weight: 3 }, { url: b.url, weight: 1 }] });
    const answers = await sequential(gw, 40);
    expect(tally(answers)).toEqual({ a: 30, b: 10 });
    // Smooth: never more than three a's in a row.
    expect(answers.map((answer) => answer.body).join("")).not.toContain("aaaa");
  });

  it("least-request sends most requests to the target that answers faster", async () => {
    const slow = { current: "ok" as "ok" | "fail" | "slow" | "reset" };
    const [a, b] = await Promise.all([upstream((request, res) => setTimeout(() => named("a", slow)(request, res), 80).unref()), upstream(named("b"))]);
    const gw = await gateway({ targets: [{ url: a.url }, { url: b.url }], loadBalancing: "least-request" });
    const answers = await Promise.all(Array.from({ length: 8 }, () => sequential(gw, 10))).then((lists) => lists.flat());
    const counts = tally(answers);
    expect(counts.b).toBeGreaterThan(3 * (counts.a ?? 0));
  });
});

describe("health", () => {
  it("active health checks take a failing target out and bring it back when it recovers", async () => {
    const aState = { current: "ok" as "ok" | "fail" | "slow" | "reset" };
    const [a, b] = await Promise.all([upstream(named("a", aState)), upstream(named("b"))]);
    const gw = await gateway({ targets: [{ url: a.url }, { url: b.url }], healthCheck: { path: "/_health", intervalMs: 1_000, healthyThreshold: 1, unhealthyThreshold: 1 } });
    aState.current = "fail";
    await pause(1_500);
    // While a is marked down, only b is asked.
    expect(tally(await sequential(gw, 10))).toEqual({ b: 10 });
    aState.current = "ok";
    await pause(1_500);
    expect(tally(await sequential(gw, 10))).toEqual({ a: 5, b: 5 });
  });

  it("passive outlier detection ejects a target that keeps failing, without health checks", async () => {
    const aState = { current: "fail" as "ok" | "fail" | "slow" | "reset" };
    const [a, b] = await Promise.all([upstream(named("a", aState)), upstream(named("b"))]);
    const gw = await gateway({ targets: [{ url: a.url }, { url: b.url }], outlierDetection: { consecutiveErrors: 3, ejectionMs: 60_000 } });
    const first = await sequential(gw, 6);
    // a failed three times in a row (answered 503 to those clients), then was ejected.
    expect(first.filter((answer) => answer.status === 503)).toHaveLength(3);
    const later = await sequential(gw, 10);
    expect(tally(later)).toEqual({ b: 10 });
    expect(a.requests.filter((request) => request.url === "/health")).toHaveLength(3);
    expect(first.filter((answer) => answer.status === 503).every((answer) => answer.body === "a is failing")).toBe(true);
  });
});

describe("retries", () => {
  it("retries an idempotent request on another target after a reset or a 503", async () => {
    const [a, b] = await Promise.all([upstream(named("a", { current: "reset" })), upstream(named("b"))]);
    const gw = await gateway({ targets: [{ url: a.url }, { url: b.url }], retries: { maxRetries: 1 } });
    const answers = await sequential(gw, 6);
    expect(answers.every((answer) => answer.status === 200 && answer.body === "b")).toBe(true);
    expect(a.requests.length).toBeGreaterThan(0);
  });

  it("never retries a non-idempotent request", async () => {
    const [a, b] = await Promise.all([upstream(named("a", { current: "fail" })), upstream(named("b", { current: "fail" }))]);
    const gw = await gateway({ targets: [{ url: a.url }, { url: b.url }], retries: { maxRetries: 2, retryOn: ["503"] } });
    const post = await fetch(`${gw.url}/items/v1/items`, {
      method: "POST",
      headers: { "x-api-key": KEY, "content-type": "application/json", "idempotency-key": "k1" },
      body: '{"name":"pen"}',
    });
    expect(post.status).toBe(503);
    expect(a.requests.length + b.requests.length).toBe(1);
    // The same failure on a GET is tried again, up to maxRetries (2): three tries.
    expect((await fetch(`${gw.url}/items/v1/health`)).status).toBe(503);
    expect(a.requests.length + b.requests.length).toBe(4);
  });

  it("a per-try timeout moves a slow try to the next target within the total timeout", async () => {
    const [a, b] = await Promise.all([upstream(named("a", { current: "slow" })), upstream(named("b"))]);
    const gw = await gateway({ targets: [{ url: a.url }, { url: b.url }], timeoutMs: 3_000, perTryTimeoutMs: 300, retries: { maxRetries: 1, retryOn: ["timeout"] } });
    const started = Date.now();
    const answers = await sequential(gw, 4);
    expect(answers.every((answer) => answer.status === 200 && answer.body === "b")).toBe(true);
    // Two of the four first tried a (round robin) and waited 300 ms each, not 1.5 s.
    expect(Date.now() - started).toBeLessThan(2_500);
  });
});

describe("circuit breaker", () => {
  it("opens after consecutive failures (fails fast, the target is left alone), then probes half-open and closes", async () => {
    const state = { current: "fail" as "ok" | "fail" | "slow" | "reset" };
    const a = await upstream(named("a", state));
    const gw = await gateway({ targets: [{ url: a.url }], circuitBreaker: { consecutiveFailures: 3, openMs: 1_000, halfOpenRequests: 1 } });
    const failing = await sequential(gw, 3);
    expect(failing.map((answer) => answer.status)).toEqual([503, 503, 503]);
    const seen = a.requests.length;
    // Open: answered by the gateway at once, nothing reaches the target.
    const open = await fetch(`${gw.url}/items/v1/health`);
    expect(open.status).toBe(503);
    expect(((await open.json()) as { type: string }).type).toBe("https://turnpike.dev/problems/service-unavailable");
    expect(a.requests.length).toBe(seen);
    state.current = "ok";
    await pause(1_200);
    // Half-open: one probe goes through, succeeds, and the circuit closes.
    expect(await sequential(gw, 5)).toEqual(Array.from({ length: 5 }, () => ({ status: 200, body: "a" })));
  });
});

describe("failover", () => {
  it("sends traffic to the secondary group when every primary target is down, and back when one recovers", async () => {
    const refused = await closedPort();
    const backup = await upstream(named("backup"));
    const gw = await gateway({
      targets: [{ url: `http://127.0.0.1:${refused}` }],
      failover: [{ url: backup.url }],
      retries: { maxRetries: 1 },
      circuitBreaker: { consecutiveFailures: 1, openMs: 60_000 },
    });
    const answers = await sequential(gw, 5);
    expect(answers).toEqual(Array.from({ length: 5 }, () => ({ status: 200, body: "backup" })));
  });
});
