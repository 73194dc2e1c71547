/** A product: APIs offered together under a set of plans. */
import type { Construct } from "constructs";
import { z } from "zod";
import { Api } from "./api";
import { Plan } from "./plan";
import { Platform } from "./platform";
import { TurnpikeConstruct } from "./turnpike-construct";

export interface ProductProps {
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
  /** APIs in the product. */
  readonly apis: Api[];
  /** Plans consumers can subscribe to. */
  readonly plans: Plan[];
  /**
   * `auto`: subscriptions are active at once; `manual`: an API owner approves each one.
   * @default "auto"
   */
  readonly approval?: "auto" | "manual";
  /**
   * `public`: listed in the portal; `private`: only declared consumers subscribe.
   * @default "public"
   */
  readonly visibility?: "public" | "private";
}

const productPropsSchema = z.strictObject({
  title: z.string().min(1).optional(),
  description: z.string().optional(),
  apis: z.array(z.custom<Api>((value) => value instanceof Api, { message: "an Api construct" })).min(1, "a product offers at least one API"),
  plans: z.array(z.custom<Plan>((value) => value instanceof Plan, { message: "a Plan construct" })).min(1, "a product offers at least one plan"),
  approval: z.enum(["auto", "manual"]).optional(),
  visibility: z.enum(["public", "private"]).optional(),
});

export interface ProductDeclaration {
  readonly title: string;
  readonly description: string;
  readonly apis: readonly Api[];
  readonly plans: readonly Plan[];
  readonly approval: "auto" | "manual";
  readonly visibility: "public" | "private";
}

export class Product extends TurnpikeConstruct {
  /** The product's name: its construct id. */
  readonly productName: string;
  /** @internal */
  readonly declaration: ProductDeclaration | undefined;

  constructor(scope: Construct, id: string, props: ProductProps) {
    super(scope, id);
    Platform.of(this);
    this.productName = id;
    this.checkName(id);
    const parsed = this.parseProps(productPropsSchema, props);
    if (parsed === undefined) return;
    this.declaration = {
      title: parsed.title ?? id.charAt(0).toUpperCase() + id.slice(1),
      description: parsed.description ?? "",
      apis: [...new Set(parsed.apis)],
      plans: [...new Set(parsed.plans)],
      approval: parsed.approval ?? "auto",
      visibility: parsed.visibility ?? "public",
    };
  }
}
