/**
 * The k6 scripts `turnpike synth` writes: thresholds equal to the declared SLOs, profiles
 * scaled by the declared throughput, requests from the contract's examples, only the k6 API,
 * and the committed examples for the acme stack kept up to date.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { GatewayConfig } from "../../constructs/manifest/schema";
import { k6Script } from "../../loadtests/k6/k6-script";
import { synthesizeLoadTests } from "../../loadtests/k6/synthesize-loadtests";
import { k6ScriptToCommonJs, runK6Script } from "../../loadtests/harness/run-k6-script";
import { PROFILE_NAMES } from "../../loadtests/scenario/profiles";
import { loadTestModel } from "../../loadtests/scenario/scenario-model";
import { acmePlatform } from "../../stacks/acme";
import { REPO_ROOT } from "../helpers/cli";
import { compileOk } from "../helpers/declaration";

let manifest: GatewayConfig;
beforeAll(async () => {
  manifest = await compileOk(acmePlatform());
});

/** The script's `options` as k6 would see them, without sending a request. */
async function optionsOf(apiId: string, env: Record<string, string> = {}) {
  const file = synthesizeLoadTests(manifest).files.find((candidate) => candidate.path === `${apiId}.js`)!;
  const run = await runK6Script(file.contents, { env: { TURNPIKE_API_KEY: "key", TURNPIKE_TOKEN: "token", ...env }, iterations: 0 });
  expect(run.initError).toBeNull();
  expect(run.optionProblems).toEqual([]);
  return run.options as { scenarios: Record<string, unknown>; thresholds: Record<string, string[]> };
}

describe("the k6 script of orders-v2 (availability 99.9, p95 150 ms, p99 400 ms, 200 req/s)", () => {
  it("has exactly the declared SLOs as thresholds", async () => {
    const options = await optionsOf("orders-v2");
    expect(options.thresholds).toEqual({
      checks: ["rate>0.999"],
      dropped_iterations: ["rate<10"],
      http_req_duration: ["p(95)<150", "p(99)<400"],
      http_req_failed: ["rate<0.001"],
    });
  });

  it("runs the load profile at the declared 200 req/s, with VUs for 200 req/s × 400 ms in flight", async () => {
    const options = await optionsOf("orders-v2", { PROFILE: "load" });
    expect(options.scenarios).toEqual({
      load: {
        executor: "ramping-arrival-rate",
        startRate: 1,
        timeUnit: "1s",
        preAllocatedVUs: 80,
        maxVUs: 320,
        stages: [
          { duration: "1m", target: 200 },
          { duration: "5m", target: 200 },
          { duration: "30s", target: 0 },
        ],
      },
    });
    expect((await optionsOf("orders-v2", { PROFILE: "stress" })).scenarios.stress).toMatchObject({ stages: [{ duration: "2m", target: 400 }, { duration: "5m", target: 400 }, { duration: "1m", target: 0 }] });
    expect((await optionsOf("orders-v2")).scenarios).toEqual({ smoke: expect.objectContaining({ stages: [{ duration: "30s", target: 1 }] }) });
  });

  it("is valid for every profile, and refuses an unknown one or a missing key at init", async () => {
    for (const profile of PROFILE_NAMES) expect(Object.keys((await optionsOf("orders-v2", { PROFILE: profile })).scenarios)).toEqual([profile]);
    const script = k6Script(loadTestModel(manifest, "orders-v2"));
    expect((await runK6Script(script, { env: { PROFILE: "turbo", TURNPIKE_API_KEY: "k" }, iterations: 0 })).initError).toMatch(/PROFILE must be one of smoke, load, stress, soak, got "turbo"/);
    expect((await runK6Script(script, { env: {}, iterations: 0 })).initError).toMatch(/listOrders needs TURNPIKE_API_KEY/);
  });

  it("sends each operation with the contract's examples and expects its documented success status", () => {
    const script = synthesizeLoadTests(manifest).files.find((file) => file.path === "orders-v2.js")!.contents;
    const requests = JSON.parse(/const REQUESTS = (\[[\s\S]*?\n\]);/.exec(script)![1]!) as { operationId: string; method: string; path: string; headers: Record<string, string>; body: string | null; expectedStatuses: unknown }[];
    expect(requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      "GET /orders/v2/orders",
      "POST /orders/v2/orders",
      "GET /orders/v2/orders/ord_5kQx7hT2mZ9wLp3R",
      "PATCH /orders/v2/orders/ord_5kQx7hT2mZ9wLp3R",
      "POST /orders/v2/orders/ord_5kQx7hT2mZ9wLp3R/cancellation",
      "GET /orders/v2/orders/ord_5kQx7hT2mZ9wLp3R/events",
    ]);
    const create = requests[1]!;
    // The required Idempotency-Key's example, and a body from the named examples.
    expect(create.headers).toEqual({ "idempotency-key": "5f0c8a3e-2b1d-4c6f-9a7e-3d2b1c0f9e8a", "content-type": "application/json" });
    expect(JSON.parse(create.body!)).toMatchObject({ customerId: expect.stringMatching(/^cus_/), items: expect.any(Array) });
    expect(create.expectedStatuses).toEqual([{ min: 201, max: 201 }]);
    expect(requests[3]!.headers["content-type"]).toBe("application/merge-patch+json");
    expect(script).toContain("const SCHEDULE = [0,1,2,3,4,5];");
  });
});

describe("SLOs on some operations and other objectives", () => {
  it("payments-v1's SLO on createPayment and refundPayment: per-operation thresholds, only those operations, a JWT", async () => {
    const options = await optionsOf("payments-v1");
    expect(options.thresholds).toEqual({
      "checks{operation:createPayment}": ["rate>0.9999"],
      "checks{operation:refundPayment}": ["rate>0.9999"],
      "http_req_duration{operation:createPayment}": ["p(99)<800"],
      "http_req_duration{operation:refundPayment}": ["p(99)<800"],
      "http_req_failed{operation:createPayment}": ["rate<0.0001"],
      "http_req_failed{operation:refundPayment}": ["rate<0.0001"],
    });
    const script = synthesizeLoadTests(manifest).files.find((file) => file.path === "payments-v1.js")!.contents;
    expect(script).toContain('"kind": "bearer"');
    expect(script).not.toContain('"operationId": "listPayments"');
  });

  it("catalog-v1 (p50 20 ms, p95 80 ms, 500 req/s)", async () => {
    expect((await optionsOf("catalog-v1")).thresholds).toEqual({
      checks: ["rate>0.9995"],
      dropped_iterations: ["rate<25"],
      http_req_duration: ["p(50)<20", "p(95)<80"],
      http_req_failed: ["rate<0.0005"],
    });
  });
});

describe("the scripts use k6's JavaScript API only", () => {
  it.each(["catalog-v1", "orders-v1", "orders-v2", "payments-v1"])("%s: ES module importing k6, k6/http and k6/execution, no Node", (apiId) => {
    const script = synthesizeLoadTests(manifest).files.find((file) => file.path === `${apiId}.js`)!.contents;
    const imports = [...script.matchAll(/^import .* from "([^"]+)";$/gm)].map((match) => match[1]);
    expect(imports).toEqual(["k6/http", "k6", "k6/execution"]);
    expect(script).not.toMatch(/\brequire\(|\bprocess\.|\bBuffer\b|\bawait\b/);
    expect(() => k6ScriptToCommonJs(script)).not.toThrow();
    expect(script).toMatch(/^export default function \(\) \{$/m);
    expect(script).toMatch(/^export const options = \{$/m);
  });
});

describe("committed examples (loadtests/examples/)", () => {
  it("are what synth writes for the acme stack (regenerate: npx turnpike --out /tmp/acme synth && cp /tmp/acme/loadtests/*.js loadtests/examples/)", () => {
    const directory = join(REPO_ROOT, "loadtests/examples");
    const committed = Object.fromEntries(readdirSync(directory).filter((file) => file.endsWith(".js")).sort().map((file) => [file, readFileSync(join(directory, file), "utf8")]));
    const generated = Object.fromEntries(synthesizeLoadTests(manifest).files.map((file) => [file.path, file.contents]));
    expect(Object.keys(committed)).toEqual(Object.keys(generated).sort());
    for (const [file, contents] of Object.entries(generated)) expect(`${file}:\n${committed[file]}`).toBe(`${file}:\n${contents}`);
  });
});
