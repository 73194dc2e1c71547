/** Alerts on the gateway's own health, beside the SLO alerts: the shared store, manifest reloads, lost log lines and lost spans. */
import type { RuleGroup } from "./slo-alert-rules";

export function gatewayAlertRules(): RuleGroup {
  return {
    name: "turnpike-gateway",
    rules: [
      {
        alert: "TurnpikeStoreUnavailable",
        expr: "min(turnpike_store_up) == 0",
        for: "5m",
        labels: { severity: "critical" },
        annotations: {
          summary: "A gateway pod cannot reach its counter store (Redis)",
          description: "Rate limits and quotas run in their declared degraded mode (fail-open with local counting, or 503) until Redis answers again.",
        },
      },
      {
        alert: "TurnpikeManifestRejected",
        expr: 'increase(turnpike_config_reloads_total{result="rejected"}[10m]) > 0',
        for: "0m",
        labels: { severity: "warning" },
        annotations: {
          summary: "A gateway rejected a new manifest and keeps serving the previous one",
          description: "The manifest failed validation or compilation in the gateway; its log says why.",
        },
      },
      {
        alert: "TurnpikeLogLinesDropped",
        expr: "sum(increase(turnpike_log_lines_dropped_total[10m])) > 0",
        for: "0m",
        labels: { severity: "warning" },
        annotations: {
          summary: "A gateway lost log lines: stdout could not take them",
          description: "Traffic is served, but access lines (and events, if stdout is gone) are missing from the logs; the pod's stderr names the write error (EPIPE: the log reader went away).",
        },
      },
      {
        // Zero unless tracing is on: the counter exists only then.
        alert: "TurnpikeTraceSpansDropped",
        expr: "sum by (reason) (increase(turnpike_trace_spans_dropped_total[10m])) > 0",
        for: "10m",
        labels: { severity: "warning" },
        annotations: {
          summary: "A gateway is losing trace spans ({{ $labels.reason }})",
          description: "Traffic is served, but traces miss the gateway's spans. queue-full: the OTLP receiver is slower than the spans come (sample fewer: OTEL_TRACES_SAMPLER_ARG, or scale the collector); export-failed: the receiver refuses or does not answer (the gateway logs why once a minute); rejected: the receiver dropped some of what it took.",
        },
      },
    ],
  };
}
