/** The load-test model: weights declared in the contract or even, the progress line, and verdicts on measurements. */
import { OpenApi, Slo } from "../../constructs/index";
import { progressBar } from "../../loadtests/runner/progress-bar";
import { verdicts } from "../../loadtests/runner/slo-verdict";
import { ScenarioError, loadTestModel, weightedSchedule } from "../../loadtests/scenario/scenario-model";
import { sloThresholds } from "../../loadtests/scenario/slo-thresholds";
import { compileOk, itemsApi, itemsContract, testPlatform } from "../helpers/declaration";

describe("weights", () => {
  it("interleaves a weighted round robin, reduced by the common divisor", () => {
    expect(weightedSchedule([1, 1, 1])).toEqual([0, 1, 2]);
    expect(weightedSchedule([6, 2, 2])).toEqual([0, 1, 0, 2, 0]);
    expect(weightedSchedule([5, 1])).toEqual([0, 0, 0, 1, 0, 0]);
  });

  it("reads x-turnpike-load-weight from the contract (0 leaves an operation out) and refuses a bad one", async () => {
    const platform = testPlatform();
    const weighted = itemsContract((document) => {
      const paths = document.paths as Record<string, Record<string, Record<string, unknown>>>;
      paths["/items"]!.get!["x-turnpike-load-weight"] = 8;
      paths["/items"]!.post!["x-turnpike-load-weight"] = 2;
      paths["/items/{itemId}"]!.delete!["x-turnpike-load-weight"] = 0;
    });
    const api = itemsApi(platform, "items", { contract: OpenApi.fromDocument(weighted) });
    new Slo(platform, "reads", { api, latencyP95Ms: 100 });
    const model = loadTestModel(await compileOk(platform), "items-v1");
    expect(model.requests.map((request) => [request.operationId, request.weight])).toEqual([
      ["getHealth", 1],
      ["listItems", 8],
      ["createItem", 2],
      ["getItem", 1],
    ]);
    expect(model.schedule.filter((index) => index === 1)).toHaveLength(8);
    expect(model.schedule).toHaveLength(12);

    const bad = testPlatform();
    const badApi = itemsApi(bad, "items", { contract: OpenApi.fromDocument(itemsContract((document) => ((document.paths as Record<string, Record<string, Record<string, unknown>>>)["/items"]!.get!["x-turnpike-load-weight"] = 1.5))) });
    new Slo(bad, "reads", { api: badApi, latencyP95Ms: 100 });
    const manifest = await compileOk(bad);
    expect(() => loadTestModel(manifest, "items-v1")).toThrow(new ScenarioError("items-v1 listItems: x-turnpike-load-weight is a whole number from 0 to 1000 (0 leaves the operation out), got 1.5"));
  });

  it("refuses an API without SLO", async () => {
    const platform = testPlatform();
    itemsApi(platform);
    const manifest = await compileOk(platform);
    expect(() => loadTestModel(manifest, "items-v1")).toThrow(/API items-v1 declares no SLO/);
  });
});

describe("slo run's verdicts and progress line", () => {
  const slo = { id: "items-v1/default", name: "default", api: "items-v1", operations: [], availability: 99, latencyP50Ms: null, latencyP95Ms: 50, latencyP99Ms: null, errorRatePercent: null, throughputRps: 100, windowDays: 30, declaredAt: "acme/items/default" };
  const measurements = Array.from({ length: 100 }, (_, index) => ({ operationId: "listItems", status: index < 2 ? 503 : 200, latencyMs: index + 1, expected: index >= 2, sentAtSeconds: index / 100 }));

  it("judges percentiles, the failed ratio and the achieved rate by the k6 thresholds' numbers", () => {
    const run = { measurements, transportErrors: 0, durationSeconds: 1, plannedSeconds: 1 };
    expect(verdicts(sloThresholds([slo]), run, 100).map((verdict) => [verdict.threshold, verdict.achieved, verdict.passed])).toEqual([
      ["http_req_duration p(95)<50", 95.05, false],
      ["http_req_failed rate<0.01", 0.02, false],
      ["≥ 95 req/s", 100, true],
    ]);
    // At a lower rate than declared, the throughput objective is not measured.
    expect(verdicts(sloThresholds([slo]), run, 10).at(-1)).toMatchObject({ passed: null, note: "this profile sends 10 req/s, below the declared 100" });
  });

  it("judges the rate over the planned window: autocannon's tail to its stop tick neither dilutes nor inflates it", () => {
    // Stopped on its tick 0.9 s late, having sent 50 more requests after the planned second.
    const tail = Array.from({ length: 50 }, (_, index) => ({ operationId: "listItems", status: 200, latencyMs: 1, expected: true, sentAtSeconds: 1 + index / 60 }));
    const run = { measurements: [...measurements, ...tail], transportErrors: 0, durationSeconds: 1.9, plannedSeconds: 1 };
    expect(verdicts(sloThresholds([slo]), run, 100).at(-1)).toMatchObject({ achieved: 100, passed: true });
    // A gateway that answered a third of the requests sent in the window misses it.
    const slow = { measurements: measurements.filter((_, index) => index % 3 === 0), transportErrors: 0, durationSeconds: 1, plannedSeconds: 1 };
    expect(verdicts(sloThresholds([slo]), slow, 100).at(-1)).toMatchObject({ achieved: 34, passed: false });
  });

  it("draws a bar of the elapsed share", () => {
    expect(progressBar(5, 10, 42, 10)).toBe("[█████░░░░░]  50%  5.0/10 s  42 responses");
    expect(progressBar(12, 10, 99, 4)).toBe("[████] 100%  10.0/10 s  99 responses");
  });
});
