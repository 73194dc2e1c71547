/**
 * Load profiles, as k6 `ramping-arrival-rate` scenarios (open model: requests arrive at the
 * rate whatever the latency, as real traffic does). Each is a shape scaled by the API's target
 * rate T, its declared `throughputRps`:
 *
 * | profile | stages                                   | plateau          |
 * |---------|------------------------------------------|------------------|
 * | smoke   | 1 req/s for 30 s                         | 1 req/s, 30 s    |
 * | load    | ramp to T in 1 m, T for 5 m, down in 30 s| T, 5 m           |
 * | stress  | ramp to 2T in 2 m, 2T for 5 m, down in 1 m| 2T, 5 m         |
 * | soak    | ramp to T in 5 m, T for 1 h, down in 5 m | T, 1 h           |
 *
 * `turnpike slo run` runs the plateau (rate and duration) of the same profile.
 */

export const PROFILE_NAMES = ["smoke", "load", "stress", "soak"] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** The target rate when an API's SLOs declare no throughput, requests per second. */
export const DEFAULT_TARGET_RPS = 10;

/** A k6 stage: reach `target` iterations per `timeUnit` over `duration`. */
export interface Stage {
  /** k6 duration string: `30s`, `5m`, `1h`. */
  readonly duration: string;
  readonly target: number;
}

/** A k6 `ramping-arrival-rate` scenario, as documented (only the fields the scripts use). */
export interface ArrivalRateScenario {
  readonly executor: "ramping-arrival-rate";
  readonly startRate: number;
  readonly timeUnit: "1s";
  readonly preAllocatedVUs: number;
  readonly maxVUs: number;
  readonly stages: Stage[];
}

/** What `turnpike slo run` holds: the profile's steady part. */
export interface Plateau {
  readonly rps: number;
  readonly seconds: number;
}

interface ProfileShape {
  readonly description: string;
  /** [seconds, rate as a multiple of T (`1` for smoke, which ignores T)] */
  readonly stages: readonly (readonly [number, number])[];
  /** Index of the steady stage. */
  readonly plateau: number;
  /** The shape ignores T (smoke). */
  readonly fixedRate?: boolean;
}

const SHAPES: Record<ProfileName, ProfileShape> = {
  smoke: { description: "1 req/s for 30 s: the script and the credentials work", stages: [[30, 1]], plateau: 0, fixedRate: true },
  load: { description: "the declared throughput for 5 minutes", stages: [[60, 1], [300, 1], [30, 0]], plateau: 1 },
  stress: { description: "twice the declared throughput for 5 minutes", stages: [[120, 2], [300, 2], [60, 0]], plateau: 1 },
  soak: { description: "the declared throughput for an hour", stages: [[300, 1], [3600, 1], [300, 0]], plateau: 1 },
};

export function profileDescription(profile: ProfileName): string {
  return SHAPES[profile].description;
}

function rateOf(shape: ProfileShape, multiple: number, targetRps: number): number {
  return shape.fixedRate ? multiple : Math.ceil(multiple * targetRps);
}

/** A k6 duration string for whole seconds: `30s`, `5m`, `1h`, `1m30s`. */
export function k6Duration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  if (seconds > 60) return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
  return `${seconds}s`;
}

/**
 * The scenario of a profile for target rate `targetRps`. VUs by Little's law: requests in
 * flight = arrival rate × latency, with `latencyBudgetMs` (the slowest declared objective)
 * as the latency; k6 may grow to four times that when the API is slower than its objective.
 */
export function profileScenario(profile: ProfileName, targetRps: number, latencyBudgetMs: number): ArrivalRateScenario {
  const shape = SHAPES[profile];
  const stages = shape.stages.map(([seconds, multiple]) => ({ duration: k6Duration(seconds), target: rateOf(shape, multiple, targetRps) }));
  const peak = Math.max(...stages.map((stage) => stage.target));
  const preAllocatedVUs = Math.max(1, Math.ceil((peak * latencyBudgetMs) / 1000));
  return { executor: "ramping-arrival-rate", startRate: 1, timeUnit: "1s", preAllocatedVUs, maxVUs: Math.max(10, preAllocatedVUs * 4), stages };
}

/** The steady part of a profile for target rate `targetRps`. */
export function profilePlateau(profile: ProfileName, targetRps: number): Plateau {
  const shape = SHAPES[profile];
  const [seconds, multiple] = shape.stages[shape.plateau]!;
  return { rps: rateOf(shape, multiple, targetRps), seconds };
}
