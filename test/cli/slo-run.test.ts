/**
 * `turnpike slo run` against the real gateway (with a real upstream): an easy SLO passes
 * (exit 0), an impossible one fails (exit 1), usage errors exit 2; results as a table or JSON.
 */
import { join } from "node:path";
import type { Platform } from "../../constructs/index";
import { runCli, tempProject } from "../helpers/cli";
import { itemsContract } from "../helpers/declaration";
import { type RunningGateway, startGateway } from "../helpers/gateway";
import { type TestUpstream, startUpstream } from "../helpers/upstream";

const KEY = "tp_test_slo_run_key_0123456789";

/** The items API with an SLO, a consumer with a key from ITEMS_KEY, and its upstream at ITEMS_UPSTREAM. */
function app(slo: string): string {
  return `
import { Api, Consumer, Credential, OpenApi, Plan, Platform, Product, Secret, apiKey } from "turnpike";
export default function app() {
  const shop = new Platform("shop");
  const items = new Api(shop, "items", {
    version: "1.0.0",
    contract: OpenApi.fromFile("apis/items.json"),
    upstream: { targets: [{ url: process.env.ITEMS_UPSTREAM ?? "http://127.0.0.1:9" }] },
    policies: [apiKey()],
    slo: ${slo},
  });
  const product = new Product(shop, "catalog", { apis: [items], plans: [new Plan(shop, "unlimited")] });
  new Consumer(shop, "tester", { subscriptions: [{ product, plan: "unlimited" }], credentials: [Credential.apiKey({ secret: Secret.fromEnv("ITEMS_KEY") })] });
  return shop;
}
`;
}

function project(slo: string): string {
  return tempProject({ "turnpike.json": JSON.stringify({ app: "stacks/app.ts" }), "stacks/app.ts": app(slo), "apis/items.json": JSON.stringify(itemsContract()) });
}

let upstream: TestUpstream;
let gateway: RunningGateway;
let easy: string;
let impossible: string;

beforeAll(async () => {
  // Answers each method with the status its operation documents.
  upstream = await startUpstream((request, res) => {
    const status = request.method === "POST" ? 201 : request.method === "DELETE" ? 204 : 200;
    res.writeHead(status, status === 204 ? {} : { "content-type": "application/json" });
    res.end(status === 204 ? undefined : JSON.stringify({ id: "i-1", name: "lamp" }));
  });
  process.env.ITEMS_UPSTREAM = upstream.url;
  easy = project("{ availability: 90, latencyP95Ms: 2_000, throughputRps: 10 }");
  impossible = project("{ availability: 99.9, latencyP50Ms: 0.001 }");
  const { default: declaration } = (await import(join(easy, "stacks/app.ts"))) as { default: () => Platform };
  // Contract paths are relative to the directory turnpike runs in.
  const previous = process.cwd();
  process.chdir(easy);
  try {
    gateway = await startGateway(declaration(), { env: { ITEMS_KEY: KEY } });
  } finally {
    process.chdir(previous);
  }
});

afterAll(async () => {
  await gateway?.stop();
  await upstream?.close();
  delete process.env.ITEMS_UPSTREAM;
});

const run = (root: string, args: string[]) => runCli(["slo", "run", "--url", gateway.url, ...args], root);

describe("turnpike slo run", () => {
  it("passes an easy SLO: exit 0, a table of every objective against what was achieved", async () => {
    const result = await run(easy, ["--api", "items-v1", "--profile", "load", "--duration", "2", "--key", KEY]);
    expect(result.stderr).toBe(`items-v1: profile load, 10 req/s for 2 s against ${gateway.url}\n`);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^items-v1 \(load, 10 req\/s\)\n {2}\d+ requests in [\d.]+ s: [\d.]+ req\/s, p50 [\d.]+ ms, p95 [\d.]+ ms, p99 [\d.]+ ms, errors 0\.00 %/);
    const rows = result.stdout.split("\n").filter((line) => line.startsWith("  items-v1/default"));
    expect(rows.map((row) => row.trim().split(/\s{2,}/).filter((_cell, index) => index !== 3))).toEqual([
      ["items-v1/default", "latencyP95Ms 2000", "http_req_duration p(95)<2000", "pass"],
      ["items-v1/default", "availability 90", "http_req_failed rate<0.1", "pass"],
      ["items-v1/default", "throughputRps 10", "≥ 9.5 req/s", "pass"],
    ]);
    expect(result.stdout).toContain("✔ items-v1: every measured objective met");
    // Every operation of the contract reached the upstream, with the key hidden from it.
    const paths = new Set(upstream.requests.map((request) => `${request.method} ${request.url.split("?")[0]}`));
    expect([...paths].sort()).toEqual(["DELETE /items/string", "GET /health", "GET /items", "GET /items/string", "POST /items"]);
    expect(upstream.requests.filter((request) => request.headers["x-api-key"] !== undefined)).toEqual([]);
  });

  it("fails an impossible SLO: exit 1, the missed objective in the JSON results", async () => {
    const result = await run(impossible, ["--profile", "load", "--duration", "2", "--key", KEY, "--json"]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { ok: boolean; runs: { api: string; achieved: { requests: number; p50Ms: number }; objectives: { objective: string; threshold: string; achieved: number; passed: boolean }[]; passed: boolean }[] };
    expect(report.ok).toBe(false);
    const [items] = report.runs;
    expect(items!.api).toBe("items-v1");
    expect(items!.achieved.requests).toBeGreaterThan(10);
    expect(items!.objectives.map((objective) => [objective.objective, objective.threshold, objective.passed])).toEqual([
      ["latencyP50Ms", "http_req_duration p(50)<0.001", false],
      ["availability", "http_req_failed rate<0.001", true],
    ]);
    expect(items!.objectives[0]!.achieved).toBe(items!.achieved.p50Ms);
    expect(result.stderr).toBe("");
  });

  it("fails when the gateway refuses the key (every request 401)", async () => {
    const result = await run(easy, ["--duration", "2", "--key", "wrong-key", "--json"]);
    expect(result.code).toBe(1);
    const objectives = (JSON.parse(result.stdout) as { runs: { objectives: { objective: string; achieved: number; passed: boolean | null }[] }[] }).runs[0]!.objectives;
    // Every request but the public GET /health is refused.
    const availability = objectives.find((objective) => objective.objective === "availability")!;
    expect(availability.passed).toBe(false);
    expect(availability.achieved).toBeGreaterThanOrEqual(0.5);
    // The smoke profile's 1 req/s does not measure a 10 req/s throughput objective.
    expect(objectives.find((objective) => objective.objective === "throughputRps")).toMatchObject({ passed: null });
  });

  it("fails when no request is answered within the run (a gateway that accepts connections and hangs)", async () => {
    // Answers the reachability check at / and nothing else: every request of the run is still waiting when it ends.
    const hanging = await startUpstream((request, res) => {
      if (request.url === "/") res.end("ok");
    });
    try {
      const result = await runCli(["slo", "run", "--url", hanging.url, "--duration", "1", "--key", KEY, "--json"], easy);
      const report = JSON.parse(result.stdout) as { ok: boolean; runs: { achieved: { requests: number }; objectives: { objective: string; passed: boolean | null; note: string | null }[] }[] };
      expect(report.runs[0]!.achieved.requests).toBe(0);
      expect(report.runs[0]!.objectives.filter((objective) => objective.objective !== "throughputRps").map((objective) => [objective.objective, objective.passed, objective.note])).toEqual([
        ["latencyP95Ms", false, "no response within the run"],
        ["availability", false, "no response within the run"],
      ]);
      expect(report.ok).toBe(false);
      expect(result.code).toBe(1);
    } finally {
      await hanging.close();
    }
  });

  it("keeps the path of --url as the base of every request, as the k6 script's BASE_URL + path does", async () => {
    const behindPrefix = await startUpstream((_request, res) => res.end("{}"));
    try {
      await runCli(["slo", "run", "--url", `${behindPrefix.url}/gateway/`, "--duration", "2", "--key", KEY, "--json"], easy);
      const paths = behindPrefix.requests.map((request) => request.url).filter((url) => url !== "/gateway");
      expect(paths.length).toBeGreaterThan(0);
      expect(paths.filter((url) => !url.startsWith("/gateway/"))).toEqual([]);
    } finally {
      await behindPrefix.close();
    }
  });

  it.each([
    [["--profile", "turbo"], /--profile is one of smoke, load, stress, soak, got "turbo"/],
    [["--api", "nope"], /no API "nope" in the manifest \(APIs: items-v1\)/],
    [["--duration", "0"], /--duration is a whole number of seconds ≥ 1, got "0"/],
    [[], /items-v1's requests need an API key \(--key or TURNPIKE_API_KEY\)/],
  ])("exits 2 on a usage error: %j", async (args, message) => {
    const previous = process.env.TURNPIKE_API_KEY;
    delete process.env.TURNPIKE_API_KEY;
    try {
      const result = await run(easy, args);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
    } finally {
      if (previous !== undefined) process.env.TURNPIKE_API_KEY = previous;
    }
  });

  it("exits 2 when nothing answers at --url", async () => {
    const result = await runCli(["slo", "run", "--url", "http://127.0.0.1:9", "--key", KEY], easy);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot reach the gateway at http:\/\/127\.0\.0\.1:9/);
  });
});
