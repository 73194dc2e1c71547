/**
 * The bytes of `dist/manifest.json` and the revision they carry.
 *
 * `metadata.revision` is `sha256:` + the SHA-256 of the manifest's canonical JSON (pretty,
 * as written to disk) with the revision field left out. The manifest is serialized once:
 * the revision is then written into the text, where canonical key order puts it (right
 * after `metadata.name`).
 */
import { canonicalJson, canonicalJsonSha256, canonicalJsonSha256InSteps, sha256Hex } from "./canonical-json";
import type { GatewayConfig } from "./schema";

export type UnrevisedManifest = Omit<GatewayConfig, "metadata"> & { metadata: Omit<GatewayConfig["metadata"], "revision"> };

export function serializeManifest(manifest: UnrevisedManifest): { json: string; revision: string } {
  const unrevised = canonicalJson(manifest);
  const revision = `sha256:${sha256Hex(unrevised)}`;
  const name = JSON.stringify(manifest.metadata.name);
  const without = `"metadata": {\n    "name": ${name}\n  }`;
  const at = unrevised.indexOf(without);
  if (at < 0) throw new Error("internal: the serialized manifest has no metadata object where canonical order puts it");
  const json = `${unrevised.slice(0, at)}"metadata": {\n    "name": ${name},\n    "revision": ${JSON.stringify(revision)}\n  }${unrevised.slice(at + without.length)}`;
  return { json, revision };
}

/**
 * Recomputes the revision of a manifest, e.g. to check one received from elsewhere (the
 * gateway, at every load): the hash of the same text (written by JSON.stringify when the
 * manifest's keys are already in canonical order, as when read back from its file).
 */
export function revisionOf(manifest: GatewayConfig): string {
  return `sha256:${canonicalJsonSha256(unrevised(manifest))}`;
}

/** `revisionOf`, handing the event loop back between its steps (`between`): the gateway's reload. */
export async function revisionInSteps(manifest: GatewayConfig, between: () => Promise<void>): Promise<string> {
  return `sha256:${await canonicalJsonSha256InSteps(unrevised(manifest), between)}`;
}

/** The manifest without its revision, members in the same order. */
function unrevised(manifest: GatewayConfig): UnrevisedManifest {
  const { revision: _revision, ...metadata } = manifest.metadata;
  return { ...manifest, metadata };
}
