/**
 * An app's usage report: requests per UTC day and API from the store's counters, totals per
 * API, and the remaining quota per API of its active subscriptions when the gateway can tell.
 */
import type { App } from "../control-store";
import { fail } from "./control-problem";
import { productApis } from "./catalog";
import type { ControlDeps } from "./route";

/** Default span of a report, days (today and the 29 before). */
export const DEFAULT_USAGE_DAYS = 30;
/** Longest span a report covers, days. */
export const MAX_USAGE_DAYS = 366;

const DAY_MS = 24 * 3600 * 1000;

/** The day range of a report: `to` defaults to today (UTC), `from` to 29 days before `to`. */
export function usageRange(query: { from?: string; to?: string }, now: Date): { from: string; to: string } {
  const to = query.to ?? now.toISOString().slice(0, 10);
  const from = query.from ?? new Date(Date.parse(to) - (DEFAULT_USAGE_DAYS - 1) * DAY_MS).toISOString().slice(0, 10);
  const span = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
  if (span < 1) fail("bad-request", "from is after to", { errors: [{ field: "from", message: "must not be after to" }] });
  if (span > MAX_USAGE_DAYS) fail("bad-request", `a report covers at most ${MAX_USAGE_DAYS} days`, { errors: [{ field: "from", message: `at most ${MAX_USAGE_DAYS} days before to` }] });
  return { from, to };
}

export interface UsageReportOptions {
  readonly from: string;
  readonly to: string;
  /** Only these APIs (an api-owner's scope); `null`: all. */
  readonly apis: ReadonlySet<string> | null;
}

/** The report of one app. */
export async function usageReport(deps: ControlDeps, app: App, options: UsageReportOptions) {
  const visible = (api: string) => options.apis === null || options.apis.has(api);
  const counters = (await deps.store.usage({ consumerId: app.id, from: options.from, to: options.to })).filter((counter) => visible(counter.api));
  const totals = new Map<string, number>();
  for (const counter of counters) totals.set(counter.api, (totals.get(counter.api) ?? 0) + counter.count);

  // Quota is asked for the APIs the app can call now: those of its active subscriptions.
  const manifest = deps.manifest();
  const active = await deps.store.listSubscriptions({ appId: app.id, state: "active", limit: 500 });
  const apis = [...new Set(active.items.flatMap((subscription) => productApis(manifest, subscription.product)))].filter(visible).sort();
  const quota = await Promise.all(
    apis.map(async (api) => {
      let remaining: Awaited<ReturnType<NonNullable<ControlDeps["quotaRemaining"]>>> = null;
      try {
        remaining = (await deps.quotaRemaining?.(app.consumerName, api)) ?? null;
      } catch (error) {
        // The report is still useful without the quota; the gateway's counter store may be down.
        deps.logger.warn({ err: error, api, consumer: app.consumerName }, "control API: remaining quota unavailable");
      }
      return { api, limit: remaining?.limit ?? null, remaining: remaining?.remaining ?? null, resetsAt: remaining?.resetsAt ?? null };
    }),
  );
  return {
    appId: app.id,
    consumerName: app.consumerName,
    from: options.from,
    to: options.to,
    days: counters.map((counter) => ({ day: counter.day, api: counter.api, count: counter.count })),
    totals: [...totals].map(([api, count]) => ({ api, count })),
    quota,
  };
}
