/** Picking a target: weighted round robin, least outstanding requests, or peak EWMA latency. */
import type { UpstreamConfig } from "../../../constructs/upstream";
import type { Target } from "./target";

export type Balancer = (candidates: readonly Target[]) => Target;

export function createBalancer(algorithm: UpstreamConfig["loadBalancing"]): Balancer {
  switch (algorithm) {
    case "round-robin":
      return smoothWeightedRoundRobin;
    case "least-request":
      return (candidates) => powerOfTwoChoices(candidates, (target) => target.inflight / target.weight);
    case "ewma":
      // Peak EWMA (Finagle, Linkerd): latency times load, so a slow target gets less until it recovers.
      return (candidates) => powerOfTwoChoices(candidates, (target) => (target.latencyEwmaMs + 1) * (target.inflight + 1) / target.weight);
  }
}

/** nginx's smooth weighted round robin: weights are honoured without bursts to one target. */
function smoothWeightedRoundRobin(candidates: readonly Target[]): Target {
  if (candidates.length === 1) return candidates[0]!;
  let total = 0;
  let best = candidates[0]!;
  for (const target of candidates) {
    target.currentWeight += target.weight;
    total += target.weight;
    if (target.currentWeight > best.currentWeight) best = target;
  }
  best.currentWeight -= total;
  return best;
}

/** Two random candidates, the one with the lower cost: near-optimal without scanning all. */
function powerOfTwoChoices(candidates: readonly Target[], cost: (target: Target) => number): Target {
  if (candidates.length === 1) return candidates[0]!;
  const first = candidates[Math.floor(Math.random() * candidates.length)]!;
  let second = candidates[Math.floor(Math.random() * (candidates.length - 1))]!;
  if (second === first) second = candidates[candidates.length - 1]!;
  return cost(second) < cost(first) ? second : first;
}
