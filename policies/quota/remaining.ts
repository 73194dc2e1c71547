/**
 * A consumer's remaining quota on an API, read without counting a request: what the portal
 * shows next to usage. The quota that applies is the one the gateway would charge: the
 * quota policy in the API's chains for the consumer's subscription (product and plan), else
 * one that applies to every consumer of the API. Counted per consumer only (`key:
 * "consumer"`); a quota counted per address or globally says nothing about one consumer.
 */
import type { z } from "zod";
import type { GatewayConfig } from "../../constructs/manifest/schema";
import { consumerCounterKey } from "../../gateway-image/src/chain/counter-key";
import type { Store } from "../../gateway-image/src/store/store";
import { periodEnd } from "./calendar";
import { quotaKeyPrefix } from "./handler";
import type { quotaPolicy } from "./schema";

export interface RemainingQuota {
  readonly limit: number;
  readonly remaining: number;
  /** When the period ends and the count starts again (ISO 8601). */
  readonly resetsAt: string;
}

/** A quota policy instance of the manifest, its configuration typed. */
export interface QuotaInstance {
  readonly id: string;
  readonly when: { readonly product: string; readonly plan: string } | null;
  readonly config: z.output<typeof quotaPolicy.config>;
}

/** The quota instance charged to `subscription` on `apiId`; null when none is counted per consumer. */
export function quotaInstanceFor(manifest: GatewayConfig, apiId: string, subscription: { readonly product: string; readonly plan: string }): QuotaInstance | null {
  const api = manifest.spec.apis.find((candidate) => candidate.id === apiId);
  if (api === undefined) return null;
  const ids = new Set(api.operations.flatMap((operation) => operation.policies));
  const quotas = manifest.spec.policies
    .filter((instance) => instance.policy === "quota" && ids.has(instance.id))
    .map((instance) => instance as unknown as QuotaInstance)
    .filter((instance) => instance.config.key === "consumer");
  return (
    quotas.find((instance) => instance.when !== null && instance.when.product === subscription.product && instance.when.plan === subscription.plan) ??
    quotas.find((instance) => instance.when === null) ??
    null
  );
}

/** Reads the count of the consumer's quota on the API from the store (the quota handler's key). */
export async function remainingQuota(store: Store, instance: QuotaInstance, consumerName: string, nowMs: number): Promise<RemainingQuota> {
  const end = periodEnd(nowMs, instance.config.period, instance.config.timeZone);
  const used = await store.quotaUsed(quotaKeyPrefix(instance.id) + consumerCounterKey(consumerName), end);
  return { limit: instance.config.requests, remaining: Math.max(0, instance.config.requests - used), resetsAt: new Date(end).toISOString() };
}
