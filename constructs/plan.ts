/** A plan: the limits and price a consumer subscribes to. */
import type { Construct } from "constructs";
import { z } from "zod";
import { quota, type QuotaOptions } from "../policies/quota/schema";
import { rateLimit, type RateLimitOptions } from "../policies/rate-limit/schema";
import type { PolicyDeclaration } from "../policies/policy";
import type { DeclaredPolicy } from "./declared-policy";
import type { Pricing } from "./manifest/schema";
import { Platform } from "./platform";
import { TurnpikeConstruct } from "./turnpike-construct";

/**
 * What a plan costs. Amounts are in the currency's major unit (e.g. dollars), up to 4 decimals.
 */
export type PricingProps =
  | { readonly model: "free" }
  | {
      readonly model: "flat";
      /** Price per month. */
      readonly monthlyPrice: number;
      /** ISO 4217 currency code. @default "USD" */
      readonly currency?: string;
    }
  | {
      readonly model: "metered";
      /** Base price per month. @default 0 */
      readonly monthlyPrice?: number;
      /** Price per 1,000 requests. */
      readonly pricePer1000Requests: number;
      /** ISO 4217 currency code. @default "USD" */
      readonly currency?: string;
    }
  | {
      readonly model: "custom";
      /** Where to ask for a price: a URL or `mailto:` address. */
      readonly contact: string;
    };

export interface PlanProps {
  /**
   * Display name.
   * @default the construct id with its first letter capitalized
   */
  readonly title?: string;
  /**
   * Description in Markdown.
   * @default ""
   */
  readonly description?: string;
  /**
   * Rate limit per consumer across the APIs of the product subscribed with this plan.
   * @default none
   */
  readonly rateLimit?: RateLimitOptions;
  /**
   * Quota per consumer across the APIs of the product subscribed with this plan.
   * @default none
   */
  readonly quota?: QuotaOptions;
  /**
   * Price.
   * @default { model: "free" }
   */
  readonly pricing?: PricingProps;
  /**
   * Other policies for this plan's consumers (rateLimit, quota or transform); they apply on
   * top of the API's policies.
   * @default []
   */
  readonly policies?: PolicyDeclaration[];
}

const amount = z
  .number()
  .min(0)
  .refine((value) => Number.isFinite(value) && Math.abs(Math.round(value * 10_000) - value * 10_000) < 1e-6, { message: "an amount has at most 4 decimals" });
const currency = z.string().regex(/^[A-Z]{3}$/, "an ISO 4217 currency code, e.g. USD or EUR").default("USD");

const pricingPropsSchema = z.discriminatedUnion("model", [
  z.strictObject({ model: z.literal("free") }),
  z.strictObject({ model: z.literal("flat"), monthlyPrice: amount, currency }),
  z.strictObject({ model: z.literal("metered"), monthlyPrice: amount.default(0), pricePer1000Requests: amount, currency }),
  z.strictObject({ model: z.literal("custom"), contact: z.string().regex(/^(https?:\/\/|mailto:)\S+$/, "a URL or mailto: address") }),
]);

const planPropsSchema = z.strictObject({
  title: z.string().min(1).optional(),
  description: z.string().optional(),
  rateLimit: z.unknown().optional(),
  quota: z.unknown().optional(),
  pricing: pricingPropsSchema.optional(),
  policies: z.array(z.unknown()).optional(),
});

export interface PlanDeclaration {
  readonly title: string;
  readonly description: string;
  readonly pricing: Pricing;
  /** The plan's policies, its `rateLimit` and `quota` props first. */
  readonly policies: readonly DeclaredPolicy[];
}

export class Plan extends TurnpikeConstruct {
  /** The plan's name: its construct id. */
  readonly planName: string;
  /** @internal */
  readonly declaration: PlanDeclaration | undefined;

  constructor(scope: Construct, id: string, props: PlanProps = {}) {
    super(scope, id);
    Platform.of(this);
    this.planName = id;
    this.checkName(id);
    const parsed = this.parseProps(planPropsSchema, props);
    const limitProps = [
      ...(props.rateLimit !== undefined ? [{ declaration: rateLimit(props.rateLimit), field: "rateLimit" }] : []),
      ...(props.quota !== undefined ? [{ declaration: quota(props.quota), field: "quota" }] : []),
    ];
    // The limit props are validated as plan-level policy declarations, reported under their own field.
    const limits = limitProps.flatMap(({ declaration, field }) => this.parsePolicies([declaration], "plan", field, true));
    const others = this.parsePolicies(props.policies, "plan");
    for (const entry of others) {
      const clash = limits.find((limit) => limit.slot === entry.slot);
      if (clash) {
        this.diagnostics.error({ code: "duplicate-policy", path: entry.source, message: `${entry.policy.name} is declared twice on this plan (also as ${clash.source})`, fix: "keep one of them" });
      }
    }
    if (parsed === undefined) return;
    this.declaration = {
      title: parsed.title ?? id.charAt(0).toUpperCase() + id.slice(1),
      description: parsed.description ?? "",
      pricing: parsed.pricing ?? { model: "free" },
      policies: [...limits, ...others.filter((entry) => !limits.some((limit) => limit.slot === entry.slot))],
    };
  }
}
