/**
 * Calendar periods for quotas: when the current hour, day, ISO week (Monday) or month ends,
 * in an IANA time zone, across daylight-saving changes.
 */

export type QuotaPeriod = "hour" | "day" | "week" | "month";

interface WallClock {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallClock(epochMs: number, timeZone: string): WallClock {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });
    formatters.set(timeZone, formatter);
  }
  const parts: Record<string, number> = {};
  for (const part of formatter.formatToParts(epochMs)) if (part.type !== "literal") parts[part.type] = Number(part.value);
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
}

/** The instant a wall-clock time in `timeZone` names (the first one, if a DST change repeats it). */
function instantOf(clock: WallClock, timeZone: string): number {
  const naive = Date.UTC(clock.year, clock.month - 1, clock.day, clock.hour, clock.minute, clock.second);
  // Converge on the offset: two corrections cover any DST transition.
  let guess = naive;
  for (let step = 0; step < 3; step++) {
    const seen = wallClock(guess, timeZone);
    const seenAsUtc = Date.UTC(seen.year, seen.month - 1, seen.day, seen.hour, seen.minute, seen.second);
    const next = guess + (naive - seenAsUtc);
    if (next === guess) break;
    guess = next;
  }
  return guess;
}

/** When the period containing `nowMs` ends, in epoch milliseconds. */
export function periodEnd(nowMs: number, period: QuotaPeriod, timeZone: string): number {
  if (timeZone === "UTC") return utcPeriodEnd(nowMs, period);
  const now = wallClock(nowMs, timeZone);
  let end: WallClock;
  switch (period) {
    case "hour":
      end = { ...now, minute: 0, second: 0, hour: now.hour + 1 };
      break;
    case "day":
      end = { ...now, hour: 0, minute: 0, second: 0, day: now.day + 1 };
      break;
    case "week": {
      const weekday = new Date(Date.UTC(now.year, now.month - 1, now.day)).getUTCDay(); // 0 = Sunday
      end = { ...now, hour: 0, minute: 0, second: 0, day: now.day + (weekday === 0 ? 1 : 8 - weekday) };
      break;
    }
    case "month":
      end = { ...now, hour: 0, minute: 0, second: 0, day: 1, month: now.month + 1 };
      break;
  }
  // Normalize overflowing fields (day 32, month 13, hour 24) through Date.UTC.
  const normalized = new Date(Date.UTC(end.year, end.month - 1, end.day, end.hour, end.minute, end.second));
  const result = instantOf(
    { year: normalized.getUTCFullYear(), month: normalized.getUTCMonth() + 1, day: normalized.getUTCDate(), hour: normalized.getUTCHours(), minute: 0, second: 0 },
    timeZone,
  );
  // Guard against a boundary at or before now (a wall-clock time a DST change repeats).
  return result > nowMs ? result : nowMs + 3_600_000;
}

function utcPeriodEnd(nowMs: number, period: QuotaPeriod): number {
  const now = new Date(nowMs);
  switch (period) {
    case "hour":
      return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), now.getUTCHours() + 1);
    case "day":
      return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
    case "week": {
      const weekday = now.getUTCDay();
      return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + (weekday === 0 ? 1 : 8 - weekday));
    }
    case "month":
      return Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  }
}

/** Nominal length of a period in seconds, for `RateLimit-Policy`'s `w`. */
export const PERIOD_SECONDS: Record<QuotaPeriod, number> = { hour: 3_600, day: 86_400, week: 604_800, month: 2_592_000 };
