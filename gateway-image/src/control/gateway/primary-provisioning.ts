/**
 * The cluster primary's part of the control plane: it opens the store once before forking
 * (so migrations run once, not raced by N workers), provisions the declared consumers, and
 * provisions again when it tells the workers to reload. Workers open the store themselves for
 * everything else.
 */
import type { Logger } from "pino";
import type { GatewayConfig } from "../../../../constructs/manifest/schema";
import type { ControlStore } from "../control-store";
import { openControlStore } from "../create-control-store";
import { DeclaredConsumerProvisioner } from "./provisioner";

/** What the primary calls (see `PrimaryOptions.controlPlane`). */
export interface PrimaryControlPlane {
  /** The manifest may have changed: provision it (never rejects). */
  reloaded(): Promise<void>;
  close(): Promise<void>;
}

/** Opens and migrates the store and provisions `manifest`; throws when the store cannot be opened. */
export async function openPrimaryControlPlane(url: string, manifest: GatewayConfig, load: () => Promise<GatewayConfig>, logger: Logger): Promise<PrimaryControlPlane> {
  const store: ControlStore = await openControlStore(url);
  const provisioner = new DeclaredConsumerProvisioner(store, logger);
  await provisioner.provision(manifest);
  return {
    async reloaded() {
      let next: GatewayConfig;
      try {
        next = await load();
      } catch {
        return; // the workers reject it and say why; nothing to provision
      }
      await provisioner.provision(next);
    },
    close: () => store.close(),
  };
}
