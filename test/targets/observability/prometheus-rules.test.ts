/**
 * dist/observability/prometheus/rules.yaml: the rule-file structure Prometheus loads, every
 * expression parsed by the Prometheus project's PromQL parser, thresholds derived from the
 * declared SLO numbers, and the Kubernetes PrometheusRule built from the same groups.
 */
import { parse } from "yaml";
import type { GatewayConfig } from "../../../constructs/manifest/schema";
import { promqlMetricNames, promqlSyntaxErrors } from "../../../constructs/targets/observability/promql";
import { GatewayMetrics } from "../../../gateway-image/src/observability/metrics";
import { prometheusRuleFile, prometheusRuleGroups, ruleProblems } from "../../../constructs/targets/observability/prometheus-rules";
import { BURN_RATE_WINDOWS } from "../../../constructs/targets/observability/slo-math";
import { synthesizeObservability } from "../../../constructs/targets/observability/synthesize-observability";
import { synthesizeAcme } from "../kubernetes/kubernetes-fixture";

interface RuleFile {
  groups: { name: string; rules: { record?: string; alert?: string; expr: string; for?: string; labels: Record<string, string>; annotations?: Record<string, string> }[] }[];
}

let manifest: GatewayConfig;
let file: RuleFile;
beforeAll(async () => {
  ({ manifest } = await synthesizeAcme());
  const rules = synthesizeObservability(manifest).files.find((entry) => entry.path === "prometheus/rules.yaml")!;
  file = parse(rules.contents) as RuleFile;
});

describe("the rule file", () => {
  it("alerts on the gateway's own health with metric names its /metrics has (tracing on, so that its counters exist)", async () => {
    const metrics = new GatewayMetrics();
    metrics.watchStore("redis", () => true);
    metrics.watchLogLines(() => 0);
    metrics.watchSpans(() => ({ exported: 0, droppedQueueFull: 0, droppedExportFailed: 0, droppedRejected: 0 }));
    metrics.reloads.labels("rejected").inc();
    const text = await metrics.registry.metrics();
    const exported = new Set(text.split("\n").filter((line) => line !== "" && !line.startsWith("#")).map((line) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)![0]));
    const gateway = file.groups.find((group) => group.name === "turnpike-gateway")!;
    expect(gateway.rules.map((rule) => rule.alert)).toEqual(["TurnpikeStoreUnavailable", "TurnpikeManifestRejected", "TurnpikeLogLinesDropped", "TurnpikeTraceSpansDropped"]);
    for (const rule of gateway.rules) expect([rule.alert, promqlMetricNames(rule.expr).filter((name) => !exported.has(name))]).toEqual([rule.alert, []]);
  });

  it("has the structure Prometheus loads: groups of named rules, each a record or an alert with for, labels, annotations", () => {
    expect(Object.keys(file)).toEqual(["groups"]);
    expect(file.groups.map((group) => group.name)).toEqual(["turnpike-gateway", "turnpike-slo-catalog-v1-default", "turnpike-slo-orders-v1-default", "turnpike-slo-orders-v2-default", "turnpike-slo-payments-v1-payments-writes"]);
    for (const group of file.groups) {
      expect(Object.keys(group)).toEqual(["name", "rules"]);
      for (const rule of group.rules) {
        if (rule.record !== undefined) expect(Object.keys(rule)).toEqual(["record", "expr", "labels"]);
        else expect(Object.keys(rule)).toEqual(["alert", "expr", "for", "labels", "annotations"]);
        expect(rule.for ?? "0m").toMatch(/^(\d+(ms|s|m|h|d|w|y))+$/);
      }
    }
  });

  it("parses every expression with the PromQL parser", () => {
    const expressions = file.groups.flatMap((group) => group.rules.map((rule) => rule.expr));
    expect(expressions.length).toBeGreaterThan(40);
    for (const expr of expressions) expect([expr, promqlSyntaxErrors(expr)]).toEqual([expr, []]);
    // The parser does catch a broken expression.
    expect(promqlSyntaxErrors("sum(rate(turnpike_requests_total[5m]) > 0.1")).toHaveLength(1);
  });

  it("derives every burn-rate threshold from the availability objective and every latency threshold from the objective in ms", () => {
    for (const slo of manifest.spec.slos) {
      const group = file.groups.find((candidate) => candidate.name === `turnpike-slo-${slo.api}-${slo.name}`)!;
      const burns = group.rules.filter((rule) => rule.alert === "TurnpikeErrorBudgetBurn");
      expect(burns).toHaveLength(slo.availability === null ? 0 : 4);
      for (const window of BURN_RATE_WINDOWS) {
        if (slo.availability === null) continue;
        const rule = burns.find((candidate) => candidate.labels.long_window === window.longWindow)!;
        // Computed here from first principles: budget share × window hours ÷ long window hours × (1 − availability).
        const expected = ((window.budgetShare * slo.windowDays * 24) / window.longWindowHours) * ((100 - slo.availability) / 100);
        const thresholds = [...rule.expr.matchAll(/> ([0-9.e-]+)/g)].map((match) => Number(match[1]));
        expect(thresholds).toHaveLength(2);
        for (const threshold of thresholds) expect(threshold).toBeCloseTo(expected, 10);
        expect(rule.labels).toMatchObject({ slo: slo.id, severity: window.severity, short_window: window.shortWindow });
      }
      const latency = group.rules.filter((rule) => rule.alert === "TurnpikeLatencyObjectiveMissed");
      const objectives = [slo.latencyP50Ms, slo.latencyP95Ms, slo.latencyP99Ms].filter((value): value is number => value !== null);
      expect(latency.map((rule) => Number(/> ([0-9.]+)$/.exec(rule.expr)![1]))).toEqual(objectives.map((ms) => ms / 1000));
    }
  });

  it("is the PrometheusRule the Kubernetes target deploys (same groups, plus the region label)", async () => {
    const { find } = await synthesizeAcme();
    const rule = find("PrometheusRule", undefined, "us-east-1");
    const withoutRegion = rule.spec.groups.map((group: RuleFile["groups"][number]) => ({
      name: group.name,
      rules: group.rules.map(({ labels: { region, ...labels }, ...rest }) => {
        expect(region).toBe("us-east-1");
        return { ...rest, labels };
      }),
    }));
    expect(withoutRegion).toEqual(JSON.parse(JSON.stringify(prometheusRuleGroups(manifest))));
  });
});

describe("problems", () => {
  it("names the SLO of a rule whose expression does not parse, and writes nothing", () => {
    const broken = structuredClone(manifest);
    broken.spec.slos[2]!.api = 'orders-v2"';
    const synthesis = synthesizeObservability(broken);
    expect(synthesis.files).toEqual([]);
    expect(synthesis.problems.length).toBeGreaterThan(0);
    expect(synthesis.problems[0]).toEqual({ path: "acme/orders-v2/default", message: expect.stringMatching(/^SLO orders-v2\/default: rule 0 of group turnpike-slo-orders-v2"-default: expr does not parse as PromQL at offset \d+/) });
  });

  it("checks the rule structure: record xor alert, names, durations, duplicate groups", () => {
    const groups = [
      { name: "a", rules: [{ alert: "Bad Name", expr: "up == 0", for: "five minutes", labels: { slo: "x/y" }, annotations: {} }] },
      { name: "a", rules: [{ record: "ok:rate5m", expr: "sum(up)", labels: { "bad-label": "v" } }] },
    ];
    expect(ruleProblems(groups).map((problem) => `${problem.group}[${problem.rule}] ${problem.slo}: ${problem.message}`)).toEqual([
      'a[0] x/y: "Bad Name" is not a valid alert name',
      "a[0] x/y: `for: five minutes` is not a Prometheus duration (e.g. 5m, 1h30m)",
      'a[-1] null: the group name "a" is used twice; Prometheus refuses duplicate group names in a file',
      'a[0] null: "bad-label" is not a valid label name',
    ]);
    expect(prometheusRuleFile(groups)).toMatch(/^# Generated by `turnpike synth`[^\n]*\ngroups:\n {2}- name: a\n/);
  });
});
