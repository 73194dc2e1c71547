import { AggregatorRegistry } from "prom-client";
import { GatewayMetrics } from "../../gateway-image/src/observability/metrics";

/** The lines of one metric family in an exposition, without HELP/TYPE. */
function samples(text: string, family: string): string[] {
  return text.split("\n").filter((line) => line.startsWith(family));
}

describe("per-route request metrics", () => {
  test("counts by plan and status class and exposes a Prometheus histogram with cumulative buckets", async () => {
    const metrics = new GatewayMetrics({ processMetrics: false });
    const recorder = metrics.routeRecorder("orders-v1", "listOrders");
    // Binary fractions, so the sum is exact: 2^-10 s and 2^-8 s.
    recorder.record(200, "gold", 0.0009765625);
    recorder.record(204, "gold", 0.00390625);
    recorder.record(429, null, 0.0001);
    recorder.record(503, "gold", 12);
    const text = await metrics.registry.metrics();

    expect(text).toContain("# TYPE turnpike_requests_total counter");
    expect(samples(text, "turnpike_requests_total")).toEqual([
      'turnpike_requests_total{api="orders-v1",operation="listOrders",plan="gold",status_class="2xx"} 2',
      'turnpike_requests_total{api="orders-v1",operation="listOrders",plan="gold",status_class="5xx"} 1',
      'turnpike_requests_total{api="orders-v1",operation="listOrders",plan="none",status_class="4xx"} 1',
    ]);
    expect(text).toContain("# TYPE turnpike_request_duration_seconds histogram");
    const twoHundreds = samples(text, "turnpike_request_duration_seconds").filter((line) => line.includes('status_class="2xx"'));
    expect(twoHundreds).toEqual([
      ...[
        ["0.001", 1],
        ["0.0025", 1],
        ["0.005", 2],
        ["0.01", 2],
        ["0.025", 2],
        ["0.05", 2],
        ["0.1", 2],
        ["0.25", 2],
        ["0.5", 2],
        ["1", 2],
        ["2.5", 2],
        ["5", 2],
        ["10", 2],
        ["+Inf", 2],
      ].map(([le, count]) => `turnpike_request_duration_seconds_bucket{api="orders-v1",operation="listOrders",status_class="2xx",le="${le}"} ${count}`),
      'turnpike_request_duration_seconds_sum{api="orders-v1",operation="listOrders",status_class="2xx"} 0.0048828125',
      'turnpike_request_duration_seconds_count{api="orders-v1",operation="listOrders",status_class="2xx"} 2',
    ]);
    // A duration above the last bound lands only in +Inf.
    const slow = samples(text, "turnpike_request_duration_seconds_bucket").filter((line) => line.includes('status_class="5xx"'));
    expect(slow.at(-2)).toMatch(/le="10"} 0$/);
    expect(slow.at(-1)).toMatch(/le="\+Inf"} 1$/);
  });

  test("a route keeps its counts across reloads (the same recorder comes back)", async () => {
    const metrics = new GatewayMetrics({ processMetrics: false });
    metrics.routeRecorder("orders-v1", "listOrders").record(200, null, 0.01);
    metrics.routeRecorder("orders-v1", "listOrders").record(200, null, 0.01);
    expect(samples(await metrics.registry.metrics(), "turnpike_requests_total")).toEqual(['turnpike_requests_total{api="orders-v1",operation="listOrders",plan="none",status_class="2xx"} 2']);
  });

  test("cluster workers' figures are summed by prom-client's aggregator", async () => {
    const workers = [new GatewayMetrics({ processMetrics: false }), new GatewayMetrics({ processMetrics: false })];
    workers[0]!.routeRecorder("orders-v1", "listOrders").record(200, "gold", 0.002);
    workers[1]!.routeRecorder("orders-v1", "listOrders").record(201, "gold", 0.02);
    const aggregated = AggregatorRegistry.aggregate(await Promise.all(workers.map((worker) => worker.registry.getMetricsAsJSON())));
    const text = await aggregated.metrics();
    expect(samples(text, "turnpike_requests_total")).toEqual(['turnpike_requests_total{api="orders-v1",operation="listOrders",plan="gold",status_class="2xx"} 2']);
    expect(samples(text, "turnpike_request_duration_seconds_count")).toEqual(['turnpike_request_duration_seconds_count{api="orders-v1",operation="listOrders",status_class="2xx"} 2']);
    expect(text).toContain('turnpike_request_duration_seconds_bucket{api="orders-v1",operation="listOrders",status_class="2xx",le="0.005"} 1');
  });
});
