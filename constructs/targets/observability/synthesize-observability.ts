/**
 * The observability artifacts `turnpike synth` writes to `<out>/observability/`:
 * `grafana/overview.json`, `grafana/<api id>.json` and `prometheus/rules.yaml`. Nothing is
 * returned when a rule or a panel query would not load: each problem names the SLO (its
 * construct path) or the dashboard panel it came from.
 */
import { canonicalJson } from "../../manifest/canonical-json";
import type { GatewayConfig } from "../../manifest/schema";
import { apiDashboard, overviewDashboard } from "./grafana-dashboard";
import { type Dashboard, dashboardExpressions } from "./grafana-panel";
import { promqlSyntaxErrors } from "./promql";
import { prometheusRuleFile, prometheusRuleGroups, ruleProblems } from "./prometheus-rules";

export interface ObservabilityFile {
  /** Relative to `<out>/observability/`. */
  readonly path: string;
  readonly contents: string;
}

export interface ObservabilityProblem {
  /** Construct path of the SLO a rule came from, else where the generated artifact is (`grafana/<api>.json`). */
  readonly path: string;
  readonly message: string;
}

export interface ObservabilitySynthesis {
  /** Empty when there are problems. */
  readonly files: ObservabilityFile[];
  readonly problems: ObservabilityProblem[];
}

export function synthesizeObservability(manifest: GatewayConfig): ObservabilitySynthesis {
  const groups = prometheusRuleGroups(manifest);
  const declaredAt = new Map(manifest.spec.slos.map((slo) => [slo.id, slo.declaredAt]));
  const problems: ObservabilityProblem[] = ruleProblems(groups).map((problem) => ({
    path: problem.slo === null ? "prometheus/rules.yaml" : (declaredAt.get(problem.slo) ?? problem.slo),
    message: `${problem.slo === null ? "" : `SLO ${problem.slo}: `}rule ${problem.rule} of group ${problem.group}: ${problem.message}`,
  }));
  const dashboards: [string, Dashboard][] = [["grafana/overview.json", overviewDashboard(manifest)], ...manifest.spec.apis.map((api): [string, Dashboard] => [`grafana/${api.id}.json`, apiDashboard(manifest, api)])];
  for (const [path, board] of dashboards) {
    for (const { panel, expr } of dashboardExpressions(board)) {
      for (const error of promqlSyntaxErrors(expr)) problems.push({ path, message: `panel "${panel}": query does not parse as PromQL at offset ${error.offset}: ${error.context}` });
    }
  }
  if (problems.length > 0) return { files: [], problems };
  return {
    files: [...dashboards.map(([path, board]) => ({ path, contents: canonicalJson(board) })), { path: "prometheus/rules.yaml", contents: prometheusRuleFile(groups) }],
    problems,
  };
}
