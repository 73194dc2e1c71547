/** What counts as a tightened limit or a price rise for consumers already subscribed. */
import { priceRose, quotaTightened, rateLimitTightened } from "../../policies/governance/limit-changes";

const limit = (requests: number, perSeconds = 1, burst = requests, key: "consumer" | "ip" | "global" = "consumer") => ({ requests, perSeconds, burst, key, headers: true, onStoreUnavailable: "fail-open" as const });
const quota = (requests: number, period: "hour" | "day" | "week" | "month", key: "consumer" | "ip" | "global" = "consumer") => ({ requests, period, key, timeZone: "UTC", headers: true, onStoreUnavailable: "fail-open" as const });

describe("rateLimitTightened", () => {
  it.each([
    ["a new limit", null, limit(10), true],
    ["a removed limit", limit(10), null, false],
    ["a lower rate", limit(10), limit(5), true],
    ["the same rate over a longer window", limit(10, 1), limit(10, 2), true],
    ["a higher rate", limit(10), limit(20), false],
    ["a smaller burst at the same rate", limit(10, 1, 20), limit(10, 1, 15), true],
    ["another counting key", limit(10), limit(10, 1, 10, "ip"), true],
  ])("%s: %s", (_name, base, head, expected) => {
    expect(rateLimitTightened(base as never, head as never)).toBe(expected);
  });
});

describe("quotaTightened", () => {
  it.each([
    ["a new quota", null, quota(100, "day"), true],
    ["fewer requests", quota(100, "day"), quota(50, "day"), true],
    ["the same count over a longer period", quota(1_000, "day"), quota(1_000, "month"), true],
    ["more per day in a shorter period", quota(1_000, "month"), quota(1_000, "week"), false],
    ["a removed quota", quota(100, "day"), null, false],
  ])("%s", (_name, base, head, expected) => {
    expect(quotaTightened(base as never, head as never)).toBe(expected);
  });
});

describe("priceRose", () => {
  it.each([
    ["free to flat", { model: "free" }, { model: "flat", monthlyPrice: 1, currency: "USD" }, true],
    ["a higher monthly price", { model: "flat", monthlyPrice: 49, currency: "USD" }, { model: "flat", monthlyPrice: 59, currency: "USD" }, true],
    ["a lower monthly price", { model: "flat", monthlyPrice: 49, currency: "USD" }, { model: "flat", monthlyPrice: 39, currency: "USD" }, false],
    ["a metered price per request added", { model: "flat", monthlyPrice: 49, currency: "USD" }, { model: "metered", monthlyPrice: 49, pricePer1000Requests: 0.5, currency: "USD" }, true],
    ["another currency", { model: "flat", monthlyPrice: 49, currency: "USD" }, { model: "flat", monthlyPrice: 45, currency: "EUR" }, true],
    ["a custom price (not comparable)", { model: "flat", monthlyPrice: 49, currency: "USD" }, { model: "custom", contact: "sales" }, true],
    ["unchanged", { model: "free" }, { model: "free" }, false],
    ["paid to free", { model: "flat", monthlyPrice: 49, currency: "USD" }, { model: "free" }, false],
    ["a custom price to free", { model: "custom", contact: "sales" }, { model: "free" }, false],
  ])("%s", (_name, base, head, expected) => {
    expect(priceRose(base as never, head as never)).toBe(expected);
  });
});
