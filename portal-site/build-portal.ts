/**
 * The whole portal in one call: the pages (with each API's changelog), and each API's SDK.
 * The pages are generated synchronously; the changelogs (Redocly's diff) and the SDKs
 * (openapi-typescript, TypeScript) are async, so this is what synth, dev and the AWS target's
 * program call.
 */
import type { GatewayConfig } from "../constructs/manifest/schema";
import { buildChangelogs } from "./changelog";
import { type PortalFile, type PortalOptions, generatePortal } from "./generate";
import { generatePortalSdks } from "./sdk/generate";

export async function buildPortal(manifest: GatewayConfig, options: Omit<PortalOptions, "changelogs"> = {}): Promise<PortalFile[]> {
  const [changelogs, sdks] = await Promise.all([buildChangelogs(manifest), generatePortalSdks(manifest)]);
  return [...generatePortal(manifest, { ...options, changelogs }), ...sdks].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
