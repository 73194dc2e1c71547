/**
 * Reads a manifest from a file or URL and validates it with the manifest schema.
 *
 * A reload runs while the gateway serves, on the same thread: each step hands the event loop
 * back before the next (JSON.parse, the schema, the revision hash in two steps), so that
 * requests wait for one step at most (15-40 ms for a 1,000-route manifest under load), never
 * for the whole load (100-200 ms).
 */
import { readFile } from "node:fs/promises";
import { type GatewayConfig, gatewayConfigSchema } from "../../../constructs/manifest/schema";
import { revisionInSteps } from "../../../constructs/manifest/serialize-manifest";
import { nextTurn } from "./next-turn";

/** A manifest that cannot be served; the gateway keeps the one it has. */
export class ManifestError extends Error {}

export async function loadManifest(source: string): Promise<GatewayConfig> {
  return validateManifest(await readManifestJson(source), source, nextTurn);
}

/** Parses and validates a manifest's text. @param between awaited between the steps (the event loop's next turn). */
export function parseManifest(text: string, source: string, between: () => Promise<void> = nextTurn): Promise<GatewayConfig> {
  // Not async: the text (5 MB for 1,000 routes) is not kept while the steps wait.
  let raw: unknown;
  try {
    raw = parseJson(text, source);
  } catch (error) {
    return Promise.reject(error);
  }
  return validateManifest(raw, source, between);
}

/**
 * The manifest's JSON, parsed. Its own function so that the text is garbage as soon as it is
 * parsed: kept across the steps that follow, traffic's collections would move it to the old
 * generation, where it stays until the next full collection.
 */
async function readManifestJson(source: string): Promise<unknown> {
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
  return parseJson(text, source);
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ManifestError(`${source} is not JSON: ${(error as Error).message}`);
  }
}

async function validateManifest(raw: unknown, source: string, between: () => Promise<void>): Promise<GatewayConfig> {
  await between();
  const result = gatewayConfigSchema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.slice(0, 5).map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
    throw new ManifestError(`${source} is not a valid turnpike.dev/v1 manifest: ${issues.join("; ")}${result.error.issues.length > 5 ? ` (and ${result.error.issues.length - 5} more)` : ""}`);
  }
  await between();
  // Of the text as read (JSON.parse keeps its canonical key order; the schema's copy has the
  // schema's order), so the fast way applies. A file the compiler wrote parses to what the
  // schema returns; one with a member the schema drops or lacks a default it adds was not
  // written by the compiler, and is refused as changed.
  const expected = await revisionInSteps(raw as GatewayConfig, between);
  if (result.data.metadata.revision !== expected) {
    throw new ManifestError(`${source} was changed after it was compiled: its revision is ${result.data.metadata.revision}, its content hashes to ${expected}; compile it again with turnpike synth`);
  }
  return result.data;
}
