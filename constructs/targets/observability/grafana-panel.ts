/**
 * The Grafana JSON model (schemaVersion 39) the dashboards are written in: panels on the
 * Prometheus data source chosen by the `datasource` variable, laid out two per row in the
 * order given. Deterministic: panel ids and positions follow the order of the specs.
 */
import { createHash } from "node:crypto";

/** A query of a panel. */
export interface PanelQuery {
  /** PromQL; Grafana's `$__rate_interval` and template variables allowed. */
  readonly expr: string;
  readonly legendFormat: string;
}

/** What a dashboard author states about a panel; the JSON around it is derived. */
export interface PanelSpec {
  readonly title: string;
  readonly description: string;
  /** Grafana unit id: `reqps`, `percentunit`, `s`, `bytes`, `none`… */
  readonly unit: string;
  /** @default "timeseries" */
  readonly type?: "timeseries" | "stat";
  readonly queries: readonly PanelQuery[];
  /** Drawn as a red line (timeseries) or a red background beyond it (stat), in the panel's unit: an objective. */
  readonly threshold?: number;
  /**
   * Which side of `threshold` breaches the objective: `above` for a ceiling (latency), `below`
   * for a floor (availability). Grafana colours a step from its value upwards.
   * @default "above"
   */
  readonly thresholdBreach?: "above" | "below";
  /** @default 12 (half the width) */
  readonly width?: 12 | 24;
}

export interface Panel {
  readonly id: number;
  readonly type: "timeseries" | "stat";
  readonly title: string;
  readonly description: string;
  readonly datasource: typeof DATASOURCE;
  readonly gridPos: { readonly h: number; readonly w: number; readonly x: number; readonly y: number };
  readonly fieldConfig: Record<string, unknown>;
  readonly targets: { readonly expr: string; readonly legendFormat: string; readonly refId: string }[];
}

export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly tags: string[];
  readonly panels: Panel[];
  readonly [key: string]: unknown;
}

export const DATASOURCE = { type: "prometheus", uid: "${datasource}" } as const;
const REF_IDS = "ABCDEFGHIJ";
const PANEL_HEIGHT = 8;

/** Panels from specs, flowing left to right, two per row unless a panel takes the full width. */
export function layoutPanels(specs: readonly PanelSpec[]): Panel[] {
  let x = 0;
  let y = 0;
  return specs.map((spec, index) => {
    const width = spec.width ?? 12;
    if (x + width > 24) {
      x = 0;
      y += PANEL_HEIGHT;
    }
    const gridPos = { h: PANEL_HEIGHT, w: width, x, y };
    x += width;
    const thresholds =
      spec.threshold === undefined
        ? {}
        : {
            thresholds: {
              mode: "absolute",
              steps: (spec.thresholdBreach ?? "above") === "above" ? [{ color: "green", value: null }, { color: "red", value: spec.threshold }] : [{ color: "red", value: null }, { color: "green", value: spec.threshold }],
            },
            ...((spec.type ?? "timeseries") === "timeseries" ? { custom: { thresholdsStyle: { mode: "line" } } } : {}),
          };
    return {
      id: index + 1,
      type: spec.type ?? "timeseries",
      title: spec.title,
      description: spec.description,
      datasource: DATASOURCE,
      gridPos,
      fieldConfig: { defaults: { unit: spec.unit, ...thresholds }, overrides: [] },
      targets: spec.queries.map((query, queryIndex) => ({ expr: query.expr, legendFormat: query.legendFormat, refId: REF_IDS[queryIndex]! })),
    };
  });
}

/** A dashboard uid from its parts: readable when it fits Grafana's 40 characters, else shortened with a hash so it stays unique. */
export function dashboardUid(...parts: string[]): string {
  const uid = parts.join("-");
  if (uid.length <= 40) return uid;
  return `${uid.slice(0, 31)}-${createHash("sha256").update(uid).digest("hex").slice(0, 8)}`;
}

/** The common frame of a dashboard: data-source variable, extra template variables, time range, panels. */
export function dashboard(options: { uid: string; title: string; tags: string[]; variables: Record<string, unknown>[]; panels: Panel[] }): Dashboard {
  return {
    uid: options.uid,
    title: options.title,
    tags: options.tags,
    editable: false,
    schemaVersion: 39,
    version: 1,
    time: { from: "now-6h", to: "now" },
    refresh: "1m",
    templating: { list: [{ name: "datasource", type: "datasource", query: "prometheus", label: "Data source" }, ...options.variables] },
    annotations: { list: [] },
    panels: options.panels,
  };
}

/** Every PromQL expression of a dashboard's panels. */
export function dashboardExpressions(board: Dashboard): { panel: string; expr: string }[] {
  return board.panels.flatMap((panel) => panel.targets.map((target) => ({ panel: panel.title, expr: target.expr })));
}
