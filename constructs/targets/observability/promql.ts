/**
 * PromQL checked with the Prometheus project's own grammar (`@prometheus-io/lezer-promql`, the
 * parser behind the Prometheus UI's editor): a generated expression that does not parse is a
 * synth error, not a rule Prometheus refuses at load time. Also lists the metric names an
 * expression selects, so dashboards can be checked against what the gateway exports.
 */
import { parser } from "@prometheus-io/lezer-promql";

/** Where an expression stops parsing. */
export interface PromqlSyntaxError {
  /** Offset in the expression (after Grafana variables are substituted, which keeps lengths of the PromQL around them). */
  readonly offset: number;
  /** The expression with `⟨here⟩` marking the offset. */
  readonly context: string;
}

/**
 * Grafana's built-in interval variables are not PromQL; each is replaced by a duration of the
 * kind Grafana substitutes before the expression is parsed. Template variables inside label
 * values (`api=~"$api"`) are strings to the parser and need nothing.
 */
const GRAFANA_INTERVALS = /\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}/g;

function withoutGrafanaVariables(expression: string): string {
  return expression.replace(GRAFANA_INTERVALS, "5m");
}

/** The syntax errors of an expression; empty when it parses. */
export function promqlSyntaxErrors(expression: string): PromqlSyntaxError[] {
  const source = withoutGrafanaVariables(expression);
  if (source.trim() === "") return [{ offset: 0, context: "⟨here⟩ (empty expression)" }];
  const errors: PromqlSyntaxError[] = [];
  parser.parse(source).iterate({
    enter(node) {
      if (!node.type.isError) return;
      if (errors.some((error) => error.offset === node.from)) return;
      errors.push({ offset: node.from, context: `${source.slice(0, node.from)}⟨here⟩${source.slice(node.from)}` });
    },
  });
  return errors;
}

/** The metric names an expression selects (`foo` in `rate(foo{a="b"}[5m])`), sorted and distinct. */
export function promqlMetricNames(expression: string): string[] {
  const source = withoutGrafanaVariables(expression);
  const names = new Set<string>();
  parser.parse(source).iterate({
    enter(node) {
      if (node.name !== "VectorSelector") return;
      // A selector written `{__name__="x"}` has no leading identifier; the gateway's queries do not use that form.
      const identifier = node.node.getChild("Identifier");
      if (identifier) names.add(source.slice(identifier.from, identifier.to));
    },
  });
  return [...names].sort();
}
