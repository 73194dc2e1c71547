/**
 * Declared consumers into the control store at start and after each manifest reload (see
 * `provisionDeclaredConsumers`), one run at a time: two quick reloads must not provision
 * concurrently, and a run never throws (the gateway serves declared consumers from the
 * manifest either way; the store only gets their apps, keys and usage).
 *
 * Runs in one process per gateway: the single process, or the cluster primary (workers do not,
 * or N workers would race on the same rows after every reload).
 */
import type { Logger } from "pino";
import type { GatewayConfig } from "../../../../constructs/manifest/schema";
import { type SecretSources, processSecretSources } from "../../identity/consumer-directory";
import type { ControlStore } from "../control-store";
import { provisionDeclaredConsumers } from "../provision-declared-consumers";

export class DeclaredConsumerProvisioner {
  private last: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ControlStore,
    private readonly logger: Logger,
    private readonly secrets: SecretSources = processSecretSources,
  ) {}

  /** Provisions the manifest's consumers after any run under way; resolves when done, never rejects. */
  provision(manifest: GatewayConfig): Promise<void> {
    this.last = this.last.then(() => this.run(manifest));
    return this.last;
  }

  private async run(manifest: GatewayConfig): Promise<void> {
    try {
      const report = await provisionDeclaredConsumers(this.store, manifest.spec.consumers, this.secrets);
      for (const failure of report.failures) this.logger.error({ consumer: failure.consumer, reason: failure.error.message }, "declared consumer not provisioned into the control store");
      const summary = { revision: manifest.metadata.revision, consumers: manifest.spec.consumers.length, changed: report.changed };
      // One line: most warnings are keys this gateway cannot read, which the consumer directory reports already.
      if (report.warnings.length > 0) this.logger.warn({ ...summary, warnings: report.warnings }, "declared consumers provisioned, with warnings (unreadable keys stay out of the control store)");
      else this.logger.info(summary, "declared consumers provisioned");
    } catch (error) {
      this.logger.error({ reason: (error as Error).message }, "provisioning declared consumers failed; the control store keeps what it had");
    }
  }
}
