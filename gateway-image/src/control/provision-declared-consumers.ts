/**
 * Declared consumers (the manifest's `spec.consumers`, from `stacks/`) into the control store
 * at start, idempotently: a second run with the same manifest and secrets changes nothing and
 * writes no audit entry.
 *
 * How the manifest maps to the store:
 * - a consumer is an app of origin `declared` with no developer; its `consumerName` is the
 *   consumer's name, its name the display name, its description the contact;
 * - its subscriptions are live subscriptions of origin `declared`, created `active` (the
 *   declaration is the approval);
 * - its `apiKey` credentials are credentials of origin `declared`, the key read from the
 *   environment variable or file the declaration names, and only its salted hash stored.
 *   A declared `expires` date means the key works through that day (UTC), as in the manifest.
 * - `jwt` and `mtls` credentials are not secrets and stay with the manifest (the gateway's
 *   consumer directory reads them from there).
 * - a declared app no longer in the manifest keeps its history but loses its declared
 *   subscriptions and keys.
 *
 * Keys in Kubernetes Secrets or AWS Secrets Manager are read by those platforms (mounted as a
 * file or variable), not here: they are reported as not readable.
 */
import type { Consumer } from "../../../constructs/manifest/schema";
import { type SecretSources, processSecretSources, readSecret } from "../identity/secret-reader";
import type { ChangeContext, ControlStore, DeclaredConsumer, ProvisionOutcome } from "./control-store";

/** The actor of provisioning's audit entries. */
export const PROVISIONER: ChangeContext = { actor: "system:provisioner", reason: "declared in stacks/" };

export interface ProvisionReport {
  readonly outcomes: readonly ProvisionOutcome[];
  /** Keys that could not be read, keys not brought back, … (provisioning went on). */
  readonly warnings: readonly string[];
  /** Consumers that could not be provisioned at all (e.g. the name is a portal app's), with why. */
  readonly failures: readonly { readonly consumer: string; readonly error: Error }[];
  /** Whether anything was written. */
  readonly changed: boolean;
}

/** The day after `date` (`YYYY-MM-DD`) at 00:00 UTC: a key declared to expire on a day works through it. */
function endOfDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString();
}

/** One manifest consumer as the store's {@link DeclaredConsumer}, plus what could not be read. */
export function toDeclaredConsumer(consumer: Consumer, sources: SecretSources): { declared: DeclaredConsumer; warnings: string[] } {
  const warnings: string[] = [];
  const apiKeys: { key: string; expiresAt: string | null }[] = [];
  for (const credential of consumer.credentials) {
    if (credential.type !== "apiKey") continue;
    const secret = readSecret(credential.secret, sources);
    if ("problem" in secret) warnings.push(`consumer ${consumer.name}: API key not provisioned: ${secret.problem}`);
    else apiKeys.push({ key: secret.value, expiresAt: credential.expires === null ? null : endOfDay(credential.expires) });
  }
  const declared: DeclaredConsumer = {
    name: consumer.name,
    displayName: consumer.displayName,
    description: consumer.contact ?? "",
    subscriptions: consumer.subscriptions.map(({ product, plan }) => ({ product, plan })),
    apiKeys,
    keysComplete: warnings.length === 0,
  };
  return { declared, warnings };
}

/** Provisions every declared consumer, then retires declared apps the manifest no longer has. */
export async function provisionDeclaredConsumers(store: ControlStore, consumers: readonly Consumer[], sources: SecretSources = processSecretSources): Promise<ProvisionReport> {
  const outcomes: ProvisionOutcome[] = [];
  const warnings: string[] = [];
  const failures: { consumer: string; error: Error }[] = [];
  const provision = async (declared: DeclaredConsumer) => {
    try {
      const outcome = await store.provisionDeclaredConsumer(declared, PROVISIONER);
      outcomes.push(outcome);
      warnings.push(...outcome.warnings);
    } catch (error) {
      failures.push({ consumer: declared.name, error: error instanceof Error ? error : new Error(String(error)) });
    }
  };

  for (const consumer of consumers) {
    const { declared, warnings: unread } = toDeclaredConsumer(consumer, sources);
    warnings.push(...unread);
    await provision(declared);
  }

  const declaredNames = new Set(consumers.map((consumer) => consumer.name));
  for (let cursor: string | null = null; ; ) {
    const page = await store.listApps({ origin: "declared", cursor, limit: 500 });
    for (const app of page.items) {
      if (declaredNames.has(app.consumerName)) continue;
      await provision({ name: app.consumerName, displayName: app.name, description: app.description, subscriptions: [], apiKeys: [], keysComplete: true });
    }
    if (page.nextCursor === null) break;
    cursor = page.nextCursor;
  }

  const changed = outcomes.some((o) => o.appCreated || o.appUpdated || o.subscriptionsCreated + o.subscriptionsCancelled + o.keysCreated + o.keysRevoked + o.keysUpdated > 0);
  return { outcomes, warnings, failures, changed };
}
