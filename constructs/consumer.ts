/**
 * A declared consumer (an app or partner) with its subscriptions and credentials.
 * Credentials reference secrets kept outside the declaration; they are never inline.
 */
import type { Construct } from "constructs";
import { z } from "zod";
import { type SecretRef, secretRefSchema } from "./secret";
import type { Credential as ManifestCredential } from "./manifest/schema";
import { Plan } from "./plan";
import { Platform } from "./platform";
import { Product } from "./product";
import { TurnpikeConstruct } from "./turnpike-construct";

/** A credential of a consumer; create one with the {@link Credential} factories. */
export type CredentialProps =
  | {
      readonly type: "apiKey";
      /** Where the key is kept; the gateway stores only its hash. */
      readonly secret: SecretRef;
      /** Last day the key is accepted, ISO 8601. @default never expires */
      readonly expires?: string;
    }
  | {
      readonly type: "jwt";
      /** Value of the jwt policy's `consumerClaim` (default `sub`) that identifies this consumer. */
      readonly subject: string;
      /** Issuer the subject belongs to. @default any issuer the API's jwt policy accepts */
      readonly issuer?: string;
    }
  | {
      readonly type: "mtls";
      /** Client certificate subject (RFC 4514 DN), e.g. `CN=billing,O=Acme`. */
      readonly subject: string;
    };

/** Factories for consumer credentials. */
export class Credential {
  /** An API key whose value lives in a secret, e.g. `Credential.apiKey({ secret: Secret.fromEnv("SHOP_KEY") })`. */
  static apiKey(props: { secret: SecretRef; expires?: string }): CredentialProps {
    return { type: "apiKey", ...props };
  }

  /** JWTs whose subject claim names this consumer. */
  static jwt(props: { subject: string; issuer?: string }): CredentialProps {
    return { type: "jwt", ...props };
  }

  /** Client certificates with this subject. */
  static mtls(props: { subject: string }): CredentialProps {
    return { type: "mtls", ...props };
  }
}

/** A consumer's subscription to a product with one of the product's plans. */
export interface SubscriptionProps {
  readonly product: Product;
  /** A plan the product offers, as the construct or its name. */
  readonly plan: Plan | string;
}

export interface ConsumerProps {
  /**
   * Display name.
   * @default the construct id
   */
  readonly displayName?: string;
  /**
   * Contact e-mail address of the consumer's owner.
   * @default none
   */
  readonly contact?: string;
  /**
   * Products the consumer is subscribed to, each with one plan.
   * @default []
   */
  readonly subscriptions?: SubscriptionProps[];
  /**
   * Credentials identifying the consumer.
   * @default []
   */
  readonly credentials?: CredentialProps[];
}

const credentialPropsSchema = z.discriminatedUnion(
  "type",
  [
    z.strictObject({ type: z.literal("apiKey"), secret: secretRefSchema, expires: z.iso.date().optional() }),
    z.strictObject({ type: z.literal("jwt"), subject: z.string().min(1), issuer: z.string().min(1).optional() }),
    z.strictObject({ type: z.literal("mtls"), subject: z.string().min(1) }),
  ],
  {
    error: (issue) =>
      typeof issue.input === "string"
        ? "a credential is never written inline (the declaration is committed to git): use Credential.apiKey({ secret: Secret.fromEnv(\"NAME\") })"
        : undefined,
  },
);

const subscriptionsSchema = z.array(
  z.strictObject({
    product: z.custom<Product>((value) => value instanceof Product, { message: "a Product construct" }),
    plan: z.union([z.custom<Plan>((value) => value instanceof Plan), z.string().min(1)], { message: "a Plan construct or a plan name" }),
  }),
);

const consumerPropsSchema = z.strictObject({
  displayName: z.string().min(1).optional(),
  contact: z.email().optional(),
  subscriptions: subscriptionsSchema.optional(),
  credentials: z.array(credentialPropsSchema).optional(),
});

export interface ConsumerDeclaration {
  readonly displayName: string;
  readonly contact: string | null;
  readonly subscriptions: readonly { product: Product; plan: Plan | string; field: string }[];
  readonly credentials: ManifestCredential[];
}

export class Consumer extends TurnpikeConstruct {
  /** The consumer's name: its construct id. */
  readonly consumerName: string;
  /** @internal */
  readonly declaration: ConsumerDeclaration | undefined;
  /** @internal Valid subscriptions, checked against products even when other props are invalid. */
  readonly subscriptions: ConsumerDeclaration["subscriptions"];

  constructor(scope: Construct, id: string, props: ConsumerProps = {}) {
    super(scope, id);
    Platform.of(this);
    this.consumerName = id;
    this.checkName(id);
    const parsed = this.parseProps(consumerPropsSchema, props);
    const subscriptions = subscriptionsSchema.safeParse(props.subscriptions ?? []);
    this.subscriptions = subscriptions.success ? subscriptions.data.map((subscription, index) => ({ ...subscription, field: `subscriptions[${index}]` })) : [];
    if (parsed === undefined) return;
    this.declaration = {
      displayName: parsed.displayName ?? id,
      contact: parsed.contact ?? null,
      subscriptions: this.subscriptions,
      credentials: (parsed.credentials ?? []).map((credential): ManifestCredential => {
        switch (credential.type) {
          case "apiKey":
            return { type: "apiKey", secret: credential.secret, expires: credential.expires ?? null };
          case "jwt":
            return { type: "jwt", subject: credential.subject, issuer: credential.issuer ?? null };
          case "mtls":
            return { type: "mtls", subject: credential.subject };
        }
      }),
    };
  }
}
