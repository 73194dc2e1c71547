/**
 * The whole portal in one call: the pages (with each API's changelog), and each API's SDK.
 * The pages are generated synchronously; the changelogs (Redocly's diff) and the SDKs
 * (openapi-typescript, TypeScript) are async, so this is what synth, dev and the AWS target's
 * program call.
 */
import type { GatewayConfig } from "../constructs/manifest/schema";
import { type Changelogs, buildChangelogs } from "./changelog";
import { type PortalFile, type PortalOptions, generatePortal } from "./generate";
import { generatePortalSdks } from "./sdk/generate";

/**
 * The async parts of the last manifest built, by revision: synth builds the portal twice (for
 * the gateway's path and for the AWS target's root), and they do not depend on the path.
 */
let lastParts: { readonly revision: string; readonly parts: Promise<[Changelogs, PortalFile[]]> } | null = null;

function asyncParts(manifest: GatewayConfig): Promise<[Changelogs, PortalFile[]]> {
  if (lastParts?.revision !== manifest.metadata.revision) {
    const parts = Promise.all([buildChangelogs(manifest), generatePortalSdks(manifest)]);
    lastParts = { revision: manifest.metadata.revision, parts };
    // A failure is not remembered: the next build tries again.
    parts.catch(() => {
      if (lastParts?.parts === parts) lastParts = null;
    });
  }
  return lastParts!.parts;
}

export async function buildPortal(manifest: GatewayConfig, options: Omit<PortalOptions, "changelogs"> = {}): Promise<PortalFile[]> {
  const [changelogs, sdks] = await asyncParts(manifest);
  return [...generatePortal(manifest, { ...options, changelogs }), ...sdks].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
