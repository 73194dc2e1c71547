/**
 * The k6 compatibility harness: k6's threshold grammar and aggregation, the options check,
 * and the acme orders-v2 script executed against the real gateway with a real upstream (the
 * contract mock `turnpike dev` uses).
 */
import { startContractMock, type ContractMock } from "../../cli/dev/contract-mock";
import { synthesizeLoadTests } from "../../loadtests/k6/synthesize-loadtests";
import { optionsProblems } from "../../loadtests/harness/options-validation";
import { runK6Script } from "../../loadtests/harness/run-k6-script";
import { aggregate, evaluateThresholds, parseThresholdExpression, parseThresholdKey, percentile } from "../../loadtests/harness/thresholds";
import { acmePlatform } from "../../stacks/acme";
import { type RunningGateway, manifestOf, startGateway } from "../helpers/gateway";

describe("k6 thresholds", () => {
  it("parses k6's expression grammar and refuses what k6 refuses", () => {
    expect(parseThresholdExpression("p(95)<250")).toEqual({ source: "p(95)<250", aggregation: "p", percentile: 95, operator: "<", value: 250 });
    expect(parseThresholdExpression("p(99.9) <= 1.5")).toMatchObject({ percentile: 99.9, operator: "<=", value: 1.5 });
    expect(parseThresholdExpression("rate<0.001")).toMatchObject({ aggregation: "rate", operator: "<", value: 0.001 });
    expect(parseThresholdExpression("count>=10")).toMatchObject({ aggregation: "count", operator: ">=" });
    for (const bad of ["p95<250", "rate<<1", "p(101)<1", "average<3", "rate<", "<5"]) expect(() => parseThresholdExpression(bad)).toThrow(/threshold expression|between 0 and 100/);
    expect(parseThresholdKey("http_req_duration{operation:getOrder,method:GET}")).toEqual({ metric: "http_req_duration", tags: { operation: "getOrder", method: "GET" } });
    expect(() => parseThresholdKey("http_req_duration{operation}")).toThrow(/tag:value/);
  });

  it("aggregates as k6 does: percentiles interpolated between closest ranks, counter rate per second", () => {
    const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(values, 90)).toBeCloseTo(9.1, 10);
    expect(aggregate(values, "trend", { aggregation: "med", percentile: null }, 1)).toBe(5.5);
    expect(aggregate(values, "trend", { aggregation: "avg", percentile: null }, 1)).toBe(5.5);
    expect(aggregate([1, 0, 0, 1], "rate", { aggregation: "rate", percentile: null }, 1)).toBe(0.5);
    expect(aggregate([1, 1, 1], "counter", { aggregation: "rate", percentile: null }, 2)).toBe(1.5);
    const samples = [
      { metric: "http_req_duration", value: 10, tags: { operation: "a" } },
      { metric: "http_req_duration", value: 500, tags: { operation: "b" } },
    ];
    expect(evaluateThresholds({ "http_req_duration{operation:a}": ["max<100"], http_req_duration: ["max<100"] }, samples, { http_req_duration: "trend" }, 1)).toEqual([
      { key: "http_req_duration{operation:a}", expression: "max<100", actual: 10, passed: true },
      { key: "http_req_duration", expression: "max<100", actual: 500, passed: false },
    ]);
  });
});

describe("options check", () => {
  it("accepts the documented shapes and names what k6 would refuse", () => {
    const good = {
      scenarios: { load: { executor: "ramping-arrival-rate", startRate: 1, timeUnit: "1s", preAllocatedVUs: 2, maxVUs: 4, stages: [{ duration: "1m30s", target: 5 }] } },
      thresholds: { http_req_duration: ["p(95)<250", { threshold: "avg<100", abortOnFail: true }], "http_req_failed{operation:x}": ["rate<0.01"] },
    };
    expect(optionsProblems(good, ["default"])).toEqual([]);
    expect(
      optionsProblems(
        {
          scenarios: {
            "bad name": { executor: "constant-vus", duration: "1m" },
            a: { executor: "ramping-arrival-rate", rate: 5, preAllocatedVUs: 1, stages: [] },
            b: { executor: "constant-arrival-rate", duration: "ten seconds", rate: 1.5, preAllocatedVUs: 1, exec: "missing" },
            c: { executor: "warp-speed" },
          },
          thresholds: { http_req_failed: ["p(95)<1"], no_such_metric: ["rate<1"], checks: ["rate<<1"] },
          vus_maximum: 3,
        },
        ["default"],
      ),
    ).toEqual([
      "options.vus_maximum: not a k6 option",
      "options.scenarios.bad name: a scenario name has only letters, digits, _ and -",
      expect.stringMatching(/^options\.scenarios\.a\.rate: not a field of the ramping-arrival-rate executor/),
      "options.scenarios.a.stages: a non-empty list of { duration, target }",
      'options.scenarios.b.duration: a duration such as "30s" or "1m30s", got "ten seconds"',
      "options.scenarios.b.rate: a whole number ≥ 0, got 1.5",
      'options.scenarios.b.exec: the script exports no function "missing"',
      'options.scenarios.c.executor: one of shared-iterations, per-vu-iterations, constant-vus, ramping-vus, constant-arrival-rate, ramping-arrival-rate, externally-controlled, got "warp-speed"',
      'options.thresholds["http_req_failed"][0]: p(N) does not apply to a rate metric (use rate)',
      'options.thresholds["no_such_metric"]: no metric named no_such_metric (neither built in nor created by the script)',
      expect.stringMatching(/^options\.thresholds\["checks"\]\[0\]: "rate<<1" is not a k6 threshold expression/),
    ]);
  });

  it("knows the metrics a script creates with k6/metrics", async () => {
    const script = `
      import { Rate } from "k6/metrics";
      const slow = new Rate("slow_requests");
      export const options = { thresholds: { slow_requests: ["rate<0.5"] } };
      export default function () { slow.add(__ITER % 4 === 0); }
    `;
    const run = await runK6Script(script, { iterations: 8 });
    expect(run.optionProblems).toEqual([]);
    expect(run.thresholds).toEqual([{ key: "slow_requests", expression: "rate<0.5", actual: 0.25, passed: true }]);
  });
});

describe("the acme orders-v2 script against the real gateway", () => {
  const KEY = "tp_test_demo_key_for_the_k6_harness";
  let gateway: RunningGateway;
  let mock: ContractMock;
  let script: string;

  beforeAll(async () => {
    const compiled = await manifestOf(acmePlatform());
    mock = await startContractMock(compiled.manifest, compiled.manifest.spec.apis.map((api) => api.id));
    gateway = await startGateway(compiled, { mockUpstreamUrl: mock.url, env: { TURNPIKE_DEMO_API_KEY: KEY } });
    script = synthesizeLoadTests(compiled.manifest).files.find((file) => file.path === "orders-v2.js")!.contents;
  });

  afterAll(async () => {
    await gateway?.stop();
    await mock?.close();
  });

  it("sends every operation through the gateway, gets the documented statuses, and meets its thresholds", async () => {
    const run = await runK6Script(script, { env: { BASE_URL: gateway.url, TURNPIKE_API_KEY: KEY, PROFILE: "smoke" }, iterations: 12 });
    expect(run.initError).toBeNull();
    expect(run.optionProblems).toEqual([]);
    expect(run.iterationErrors).toEqual([]);
    const requests = run.samples.filter((sample) => sample.metric === "http_reqs");
    // Two rounds of the schedule: each operation twice, tagged with its route template and group.
    expect(requests.map((sample) => `${sample.tags.operation} ${sample.tags.method} ${sample.tags.status} ${sample.tags.group}`)).toEqual(
      [0, 1].flatMap(() => [
        "listOrders GET 200 ::listOrders",
        "createOrder POST 201 ::createOrder",
        "getOrder GET 200 ::getOrder",
        "updateOrder PATCH 200 ::updateOrder",
        "cancelOrder POST 200 ::cancelOrder",
        "listOrderEvents GET 200 ::listOrderEvents",
      ]),
    );
    expect(requests[2]!.tags.name).toBe("/orders/v2/orders/{orderId}");
    expect(run.thresholds.map((result) => [result.key, result.expression])).toEqual([
      ["checks", "rate>0.999"],
      ["dropped_iterations", "rate<10"],
      ["http_req_duration", "p(95)<150"],
      ["http_req_duration", "p(99)<400"],
      ["http_req_failed", "rate<0.001"],
    ]);
    // What does not depend on the machine's speed passes; the latency thresholds are judged
    // on the measured durations (12 requests on a loaded CI host can take over 150 ms).
    for (const result of run.thresholds.filter((result) => result.key !== "http_req_duration")) expect(result.passed).toBe(true);
    const durations = run.samples.filter((sample) => sample.metric === "http_req_duration").map((sample) => sample.value);
    expect(durations).toHaveLength(12);
    const sorted = [...durations].sort((a, b) => a - b);
    for (const result of run.thresholds.filter((result) => result.key === "http_req_duration")) {
      const { percentile: share, value: bound } = parseThresholdExpression(result.expression);
      // The percentile k6 would report of these very durations, and the verdict its bound gives.
      expect(result.actual).toBeCloseTo(percentile(sorted, share!), 9);
      expect(result.passed).toBe(result.actual! < bound);
    }
    expect(run.thresholds.find((result) => result.key === "http_req_failed")!.actual).toBe(0);
    expect(run.passed).toBe(run.thresholds.every((result) => result.passed));
  });

  it("fails its thresholds when the gateway refuses the key", async () => {
    const run = await runK6Script(script, { env: { BASE_URL: gateway.url, TURNPIKE_API_KEY: "not-a-key" }, iterations: 6 });
    expect(new Set(run.samples.filter((sample) => sample.metric === "http_reqs").map((sample) => sample.tags.status))).toEqual(new Set(["401"]));
    expect(run.thresholds.filter((result) => !result.passed).map((result) => [result.key, result.actual])).toEqual([
      ["checks", 0],
      ["http_req_failed", 1],
    ]);
    expect(run.passed).toBe(false);
  });
});
