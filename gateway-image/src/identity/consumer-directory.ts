/**
 * Who a caller is: the declared consumers of the manifest, looked up by credential.
 * API keys are kept only as SHA-256 digests of the key; the keys themselves are read from
 * where the declaration says (an environment variable or a file) and dropped at once.
 */
import { createHash } from "node:crypto";
import type { Consumer, GatewayConfig } from "../../../constructs/manifest/schema";
import type { SecretRef } from "../../../constructs/secret";
import { canonicalDistinguishedName } from "../../../policies/mtls/distinguished-name";
import { type SecretSources, processSecretSources, readSecret } from "./secret-reader";

/** A consumer's subscription that covers one API: it selects the plan's policies. */
export interface Subscription {
  readonly product: string;
  readonly plan: string;
  /** `product/plan`, the key of the route's plan steps. */
  readonly key: string;
}

export interface ConsumerRecord {
  readonly name: string;
  readonly displayName: string;
  /** Subscriptions by API id. */
  readonly subscriptions: ReadonlyMap<string, Subscription>;
}

/** Where the directory reads secrets from; replaceable in tests. */
export { type SecretSources, processSecretSources } from "./secret-reader";

/** A credential the gateway could not load, and why (reported at start, never fatal). */
export interface CredentialWarning {
  readonly consumer: string;
  readonly message: string;
}

/** Each product's API ids, as {@link subscriptionsByApi} needs them. */
export function apisOfProducts(manifest: GatewayConfig): ReadonlyMap<string, readonly string[]> {
  return new Map(manifest.spec.products.map((product) => [product.name, product.apis]));
}

/**
 * A consumer's subscriptions (product and plan) by the API ids they cover: what
 * {@link ConsumerRecord.subscriptions} holds. Declared consumers and apps of the control
 * plane get theirs from here, so both select plans the same way. Products the manifest does
 * not have cover nothing.
 */
export function subscriptionsByApi(subscriptions: Iterable<{ readonly product: string; readonly plan: string }>, apisOfProduct: ReadonlyMap<string, readonly string[]>): Map<string, Subscription> {
  const byApi = new Map<string, Subscription>();
  for (const { product, plan } of subscriptions) {
    for (const apiId of apisOfProduct.get(product) ?? []) byApi.set(apiId, { product, plan, key: `${product}/${plan}` });
  }
  return byApi;
}

export function apiKeyDigest(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** Most verified API keys a directory remembers before starting over. */
export const VERIFIED_KEYS_CACHED = 10_000;

export class ConsumerDirectory {
  private readonly byKeyDigest = new Map<string, ConsumerRecord>();
  private readonly verifiedKeys = new Map<string, ConsumerRecord>();
  private readonly byJwtSubject = new Map<string, ConsumerRecord>();
  private readonly byCertificateSubject = new Map<string, ConsumerRecord>();
  readonly warnings: CredentialWarning[] = [];
  readonly consumers: ReadonlyMap<string, ConsumerRecord>;

  constructor(manifest: GatewayConfig, secrets: SecretSources = processSecretSources) {
    const apisOfProduct = apisOfProducts(manifest);
    const consumers = new Map<string, ConsumerRecord>();
    for (const consumer of manifest.spec.consumers) {
      const subscriptions = subscriptionsByApi(consumer.subscriptions, apisOfProduct);
      const record: ConsumerRecord = { name: consumer.name, displayName: consumer.displayName, subscriptions };
      consumers.set(consumer.name, record);
      this.addCredentials(consumer, record, secrets);
    }
    this.consumers = consumers;
  }

  /**
   * The consumer owning an API key. Keys that were found are remembered (at most
   * {@link VERIFIED_KEYS_CACHED}), so a client's keep-alive traffic costs a map lookup, not a
   * SHA-256 per request (about a tenth of the full chain's cost). Unknown keys are never
   * remembered: a client sending random keys cannot fill the cache. The cache lives and dies
   * with this directory, so a reload that revokes a key forgets it.
   */
  findByApiKey(key: string): ConsumerRecord | undefined {
    return this.verifiedKeys.get(key) ?? this.findByApiKeyDigest(key, apiKeyDigest(key));
  }

  /** A key remembered as verified (no hashing): what {@link findByApiKey} tries first. */
  rememberedApiKey(key: string): ConsumerRecord | undefined {
    return this.verifiedKeys.get(key);
  }

  /** {@link findByApiKey} for a caller that has the key's digest already (it is computed once per request). */
  findByApiKeyDigest(key: string, digest: string): ConsumerRecord | undefined {
    const consumer = this.byKeyDigest.get(digest);
    if (consumer !== undefined) {
      if (this.verifiedKeys.size >= VERIFIED_KEYS_CACHED) this.verifiedKeys.clear();
      this.verifiedKeys.set(key, consumer);
    }
    return consumer;
  }

  /** The consumer a JWT subject names; a credential bound to an issuer must match it. */
  findByJwtSubject(subject: string, issuer: string): ConsumerRecord | undefined {
    return this.byJwtSubject.get(`${issuer}\n${subject}`) ?? this.byJwtSubject.get(`\n${subject}`);
  }

  /** The consumer a client certificate subject names, by its canonical form ({@link canonicalDistinguishedName}). */
  findByCertificateSubject(subject: string): ConsumerRecord | undefined {
    return this.byCertificateSubject.get(subject);
  }

  private addCredentials(consumer: Consumer, record: ConsumerRecord, secrets: SecretSources): void {
    const today = new Date().toISOString().slice(0, 10);
    for (const credential of consumer.credentials) {
      switch (credential.type) {
        case "apiKey": {
          if (credential.expires !== null && credential.expires < today) {
            this.warnings.push({ consumer: consumer.name, message: `API key expired on ${credential.expires}; not loaded` });
            continue;
          }
          const key = this.readSecret(consumer.name, credential.secret, secrets);
          if (key !== undefined) this.byKeyDigest.set(apiKeyDigest(key), record);
          break;
        }
        case "jwt":
          this.byJwtSubject.set(`${credential.issuer ?? ""}\n${credential.subject}`, record);
          break;
        case "mtls": {
          // Declared in RFC 4514 order, presented in certificate order: compared canonically.
          const subject = canonicalDistinguishedName(credential.subject);
          if (subject === null) this.warnings.push({ consumer: consumer.name, message: `mTLS subject "${credential.subject}" is not a distinguished name (e.g. CN=billing,O=Acme); not loaded` });
          else this.byCertificateSubject.set(subject, record);
          break;
        }
      }
    }
  }

  private readSecret(consumer: string, secret: SecretRef, secrets: SecretSources): string | undefined {
    const read = readSecret(secret, secrets);
    if ("value" in read) return read.value;
    this.warnings.push({ consumer, message: `API key in ${read.problem}; not loaded` });
    return undefined;
  }
}
