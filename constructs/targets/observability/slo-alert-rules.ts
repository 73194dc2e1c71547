/**
 * Prometheus alerting rules from the manifest's SLOs, on the gateway's own metrics
 * (`turnpike_requests_total` by api, operation and status_class;
 * `turnpike_request_duration_seconds` buckets). Plain rule groups in the Prometheus rule-file
 * shape: the Kubernetes target wraps them in a `PrometheusRule`, and other targets can write
 * them as a rules file.
 *
 * Availability uses multi-window, multi-burn-rate alerts (Google SRE workbook, "Alerting on
 * SLOs"): a page when 2 % of the error budget burns in 1 h or 5 % in 6 h, a ticket when 10 %
 * burns in 1 d or in 3 d. Each long window is paired with a short one (1/12 of it) so an alert
 * stops soon after the burn does. The burn-rate factors follow from the SLO's window: 14.4, 6,
 * 3 and 1 for 30 days, never below 1 for shorter windows (`burnRateFactor`).
 */
import type { GatewayConfig, Slo } from "../../manifest/schema";
import { BURN_RATE_WINDOWS, budgetShareSpent, burnRateFactor, burnRateThreshold, latencyObjectives } from "./slo-math";

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  readonly labels: Record<string, string>;
}

export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: (RecordingRule | AlertingRule)[];
}

export { BURN_RATE_WINDOWS, burnRateFactor } from "./slo-math";

const ERROR_RATIO = "turnpike_slo:error_ratio";

/** The PromQL label matchers selecting an SLO's requests. */
export function sloSelector(slo: Slo): string {
  const operations = slo.operations.length > 0 ? `,operation=~"${slo.operations.map(escapeRegex).join("|")}"` : "";
  return `api="${slo.api}"${operations}`;
}

/** One rule group per SLO, in manifest order (sorted by SLO id). */
export function sloAlertRules(manifest: GatewayConfig): RuleGroup[] {
  return manifest.spec.slos.flatMap((slo) => {
    const rules = [...availabilityRules(slo), ...latencyRules(slo)];
    return rules.length > 0 ? [{ name: `turnpike-slo-${slo.api}-${slo.name}`, rules }] : [];
  });
}

function availabilityRules(slo: Slo): (RecordingRule | AlertingRule)[] {
  if (slo.availability === null) return [];
  const selector = sloSelector(slo);
  const sloLabels = { slo: slo.id, api: slo.api };
  const windows = [...new Set(BURN_RATE_WINDOWS.flatMap((window) => [window.shortWindow, window.longWindow]))];
  const recording: RecordingRule[] = windows.map((window) => ({
    record: `${ERROR_RATIO}:rate${window}`,
    // The gateway exports a 5xx series only once a route answered one: `or vector(0)` makes the ratio 0, not absent, while requests flow.
    expr: `(sum(rate(turnpike_requests_total{${selector},status_class="5xx"}[${window}])) or vector(0)) / sum(rate(turnpike_requests_total{${selector}}[${window}]))`,
    labels: sloLabels,
  }));
  const alerts: AlertingRule[] = BURN_RATE_WINDOWS.map((window) => {
    const factor = burnRateFactor(window, slo.windowDays);
    const threshold = burnRateThreshold(window, slo)!;
    const ratio = (range: string) => `${ERROR_RATIO}:rate${range}{slo="${slo.id}"}`;
    return {
      alert: "TurnpikeErrorBudgetBurn",
      expr: `${ratio(window.longWindow)} > ${threshold} and ${ratio(window.shortWindow)} > ${threshold}`,
      for: window.for,
      labels: { ...sloLabels, severity: window.severity, long_window: window.longWindow, short_window: window.shortWindow },
      annotations: {
        summary: `${slo.api} burns its ${slo.availability}% availability budget ${factor}× too fast`,
        description: `More than ${percent(threshold)}% of ${slo.id}'s requests answered 5xx over the last ${window.longWindow} and ${window.shortWindow}: at this rate ${percent(budgetShareSpent(window, slo.windowDays))}% of the ${slo.windowDays}-day error budget is gone within ${window.longWindow}.`,
      },
    };
  });
  return [...recording, ...alerts];
}

function latencyRules(slo: Slo): AlertingRule[] {
  const selector = sloSelector(slo);
  return latencyObjectives(slo).map(({ quantile, label, objectiveMs, objectiveSeconds }) => ({
    alert: "TurnpikeLatencyObjectiveMissed",
    expr: `histogram_quantile(${quantile}, sum by (le) (rate(turnpike_request_duration_seconds_bucket{${selector}}[5m]))) > ${objectiveSeconds}`,
    // Percentiles are noisy at low traffic: only a sustained miss alerts.
    for: "15m",
    labels: { slo: slo.id, api: slo.api, percentile: label, severity: "warning" },
    annotations: {
      summary: `${slo.api} ${label} latency is above its ${objectiveMs} ms objective`,
      description: `The ${label} of ${slo.id}'s requests at the gateway has been above ${objectiveMs} ms for 15 minutes (5-minute rate; bucket interpolation).`,
    },
  }));
}

/** A ratio as a percentage without binary noise: 7.2, not 7.199999999999999. */
function percent(ratio: number): number {
  return Number((ratio * 100).toPrecision(6));
}

/** A regex-escaped value inside a PromQL string, where a backslash is itself escaped. */
function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, "\\\\$&");
}
