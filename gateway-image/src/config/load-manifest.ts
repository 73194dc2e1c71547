/** Reads a manifest from a file or URL and validates it with the manifest schema. */
import { readFile } from "node:fs/promises";
import { type GatewayConfig, gatewayConfigSchema } from "../../../constructs/manifest/schema";
import { revisionOf } from "../../../constructs/manifest/serialize-manifest";

/** A manifest that cannot be served; the gateway keeps the one it has. */
export class ManifestError extends Error {}

export async function loadManifest(source: string): Promise<GatewayConfig> {
  let text: string;
  try {
    if (/^https?:\/\//.test(source)) {
      const response = await fetch(source, { signal: AbortSignal.timeout(10_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      text = await response.text();
    } else {
      text = await readFile(source, "utf8");
    }
  } catch (error) {
    throw new ManifestError(`cannot read the manifest from ${source}: ${(error as Error).message}`);
  }
  return parseManifest(text, source);
}

export function parseManifest(text: string, source: string): GatewayConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(`${source} is not JSON: ${(error as Error).message}`);
  }
  const result = gatewayConfigSchema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.slice(0, 5).map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
    throw new ManifestError(`${source} is not a valid turnpike.dev/v1 manifest: ${issues.join("; ")}${result.error.issues.length > 5 ? ` (and ${result.error.issues.length - 5} more)` : ""}`);
  }
  const expected = revisionOf(result.data);
  if (result.data.metadata.revision !== expected) {
    throw new ManifestError(`${source} was changed after it was compiled: its revision is ${result.data.metadata.revision}, its content hashes to ${expected}; compile it again with turnpike synth`);
  }
  return result.data;
}
