/**
 * What a limit policy (rateLimit, quota) does when the shared counter store does not answer:
 * count the decision in `turnpike_store_unavailable_total`, log once per outage (not once per
 * request: an outage under load would flood the log), and apply the declared mode:
 * fail-closed refuses with 503, fail-open lets the policy count in this process.
 */
import type { Logger } from "pino";
import type { PolicyInstance } from "../../../constructs/manifest/schema";
import { type Reply, problem } from "../http/problem";
import type { GatewayMetrics } from "../observability/metrics";

export interface StoreOutage {
  /** A decision the store could not take: the 503 to answer (fail-closed), or null to count locally (fail-open). */
  refuse(error: unknown): Reply | null;
  /** The store answered again: the next outage is logged again. */
  recovered(): void;
}

export function storeOutage(options: {
  readonly policy: "rateLimit" | "quota";
  readonly mode: "fail-open" | "fail-closed";
  readonly instance: PolicyInstance;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  /** The 503's detail, e.g. "rate limiting is unavailable; try again shortly". */
  readonly refusal: string;
}): StoreOutage {
  const { policy, mode, instance, logger, metrics } = options;
  const counter = metrics.storeUnavailable.labels(policy, mode);
  let warned = false;
  return {
    refuse(error) {
      counter.inc();
      if (!warned) {
        warned = true;
        logger.warn({ policy: instance.id, mode, reason: (error as Error).message }, "counter store unavailable; applying the declared mode");
      }
      return mode === "fail-closed" ? problem("service-unavailable", options.refusal, { headers: { "retry-after": "1" } }) : null;
    },
    recovered() {
      warned = false;
    },
  };
}
