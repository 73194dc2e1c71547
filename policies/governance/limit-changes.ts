/**
 * Comparing what a consumer gets: prices, rate limits and quotas. A tightened limit or a price
 * rise affects consumers already subscribed, so the diff report flags it.
 */
import { compactCanonicalJson } from "../../constructs/manifest/canonical-json";
import type { Plan } from "../../constructs/manifest/schema";

type RateLimit = NonNullable<Plan["rateLimit"]>;
type Quota = NonNullable<Plan["quota"]>;
type Pricing = Plan["pricing"];

/** Days per quota period, to compare quotas of different periods (a month counted as 30 days). */
const PERIOD_DAYS: Record<Quota["period"], number> = { hour: 1 / 24, day: 1, week: 7, month: 30 };

/** `100/1s burst 200 per consumer`, or `none`. */
export function describeRateLimit(limit: RateLimit | null): string {
  if (limit === null) return "none";
  return `${limit.requests}/${limit.perSeconds}s${limit.burst !== undefined ? ` burst ${limit.burst}` : ""} per ${limit.key}`;
}

/** `10000/month per consumer`, or `none`. */
export function describeQuota(quota: Quota | null): string {
  return quota === null ? "none" : `${quota.requests}/${quota.period} per ${quota.key}`;
}

/** `free`, `49 USD/month`, `49 USD/month + 0.5 USD/1000 requests`, `custom (mailto:...)`. */
export function describePricing(pricing: Pricing): string {
  switch (pricing.model) {
    case "free":
      return "free";
    case "flat":
      return `${pricing.monthlyPrice} ${pricing.currency}/month`;
    case "metered":
      return `${pricing.monthlyPrice} ${pricing.currency}/month + ${pricing.pricePer1000Requests} ${pricing.currency}/1000 requests`;
    case "custom":
      return `custom (${pricing.contact})`;
  }
}

/** A limit appears, or allows less: a lower rate, a smaller burst, another counting key. */
export function rateLimitTightened(base: RateLimit | null, head: RateLimit | null): boolean {
  if (head === null) return false;
  if (base === null) return true;
  const rate = (limit: RateLimit) => limit.requests / limit.perSeconds;
  const burst = (limit: RateLimit) => limit.burst ?? limit.requests;
  // Counting per IP instead of per consumer (or globally) changes who shares a budget: not comparable, so flagged.
  return rate(head) < rate(base) || burst(head) < burst(base) || head.key !== base.key;
}

/** A quota appears, or allows fewer requests per day, or is counted on another key. */
export function quotaTightened(base: Quota | null, head: Quota | null): boolean {
  if (head === null) return false;
  if (base === null) return true;
  const perDay = (quota: Quota) => quota.requests / PERIOD_DAYS[quota.period];
  return perDay(head) < perDay(base) || head.key !== base.key;
}

/**
 * The plan costs more: a higher monthly or per-request price, a paid plan that was free, or a
 * change whose cost cannot be compared (another currency, a custom price).
 */
export function priceRose(base: Pricing, head: Pricing): boolean {
  if (compactCanonicalJson(base) === compactCanonicalJson(head)) return false;
  // Free is never a rise, whatever the plan cost before (a custom price included).
  if (head.model === "free") return false;
  if (base.model === "custom" || head.model === "custom") return true;
  if (base.model !== "free" && base.currency !== head.currency) return true;
  const monthly = (pricing: Pricing) => (pricing.model === "flat" || pricing.model === "metered" ? pricing.monthlyPrice : 0);
  const perThousand = (pricing: Pricing) => (pricing.model === "metered" ? pricing.pricePer1000Requests : 0);
  return monthly(head) > monthly(base) || perThousand(head) > perThousand(base);
}
