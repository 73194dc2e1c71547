/** The SLO arithmetic every artifact shares (alerts, dashboards, k6 thresholds, slo run, CloudWatch). */
import { BURN_RATE_WINDOWS, budgetShareSpent, burnRateFactor, burnRateThreshold, errorBudget, failureBound, latencyObjectives, minimumThroughputRps } from "../../../constructs/targets/observability/slo-math";

describe("slo-math", () => {
  it("turns availability into an error budget without binary noise", () => {
    expect(errorBudget(99.9)).toBe(0.001);
    expect(errorBudget(99.95)).toBe(0.0005);
    expect(errorBudget(99.99)).toBe(0.0001);
    expect(errorBudget(95)).toBe(0.05);
  });

  it("multiplies the burn-rate factor by the budget", () => {
    expect(BURN_RATE_WINDOWS.map((window) => burnRateThreshold(window, { availability: 99.9, windowDays: 30 }))).toEqual([0.0144, 0.006, 0.003, 0.001]);
    expect(burnRateThreshold(BURN_RATE_WINDOWS[0]!, { availability: 99.5, windowDays: 7 })).toBe(0.0168);
    expect(burnRateThreshold(BURN_RATE_WINDOWS[0]!, { availability: null, windowDays: 30 })).toBeNull();
    // Below 30 days the workbook's shares give factors under 1 (a burn the budget sustains): 1 instead.
    expect(BURN_RATE_WINDOWS.map((window) => burnRateFactor(window, 7))).toEqual([3.36, 1.4, 1, 1]);
    expect(burnRateThreshold(BURN_RATE_WINDOWS[0]!, { availability: 99.9, windowDays: 1 })).toBe(0.001);
    expect(BURN_RATE_WINDOWS.map((window) => budgetShareSpent(window, 30))).toEqual([0.02, 0.05, 0.1, 0.1]);
    expect(budgetShareSpent(BURN_RATE_WINDOWS[3]!, 7)).toBe(0.428571);
  });

  it("lists latency objectives in seconds and quantiles", () => {
    expect(latencyObjectives({ latencyP50Ms: null, latencyP95Ms: 150, latencyP99Ms: 400 })).toEqual([
      { field: "latencyP95Ms", percentile: 95, quantile: 0.95, label: "p95", objectiveMs: 150, objectiveSeconds: 0.15 },
      { field: "latencyP99Ms", percentile: 99, quantile: 0.99, label: "p99", objectiveMs: 400, objectiveSeconds: 0.4 },
    ]);
  });

  it("bounds the failed-request ratio by the declared error rate, else by the availability budget", () => {
    expect(failureBound({ errorRatePercent: 1, availability: 99.9 })).toEqual({ ratio: 0.01, from: "errorRatePercent" });
    expect(failureBound({ errorRatePercent: null, availability: 99.9 })).toEqual({ ratio: 0.001, from: "availability" });
    expect(failureBound({ errorRatePercent: null, availability: null })).toBeNull();
    expect(minimumThroughputRps(200)).toBe(190);
  });
});
