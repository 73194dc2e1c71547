/**
 * Portal catalog search at scale: the example organisation's APIs copied into 500 APIs with
 * distinct names, words and operations, indexed with the portal's own index builder (what
 * `turnpike synth` writes), then searched with the catalog page's options: index size, time to
 * load the index, and the latency of each query. MiniSearch runs the same code in the page;
 * Node's timing is a close proxy for a desktop browser's.
 */
import { gzipSync } from "node:zlib";
import { compileManifest } from "../../constructs/index";
import type { GatewayConfig } from "../../constructs/manifest/schema";
import { buildSearchIndex, searchIndexLoader } from "../../portal-site/search-index";
import { acmePlatform } from "../../stacks/acme";

export interface PortalSearchBenchResult {
  readonly apis: number;
  readonly operations: number;
  readonly indexBytes: number;
  readonly indexGzipBytes: number;
  readonly loadMs: number;
  readonly queries: number;
  readonly medianMs: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

const WORDS = ["inventory", "billing", "shipment", "loyalty", "pricing", "catalog", "refund", "invoice", "warehouse", "customer", "payment", "order", "tracking", "returns", "analytics", "identity", "search", "review", "coupon", "delivery"];

/** A manifest with `count` APIs made from the example's, each with its own words. */
export async function largeCatalog(count: number): Promise<GatewayConfig> {
  const { manifest } = await compileManifest(acmePlatform());
  if (manifest === undefined) throw new Error("stacks/acme.ts does not compile");
  const apis = Array.from({ length: count }, (_, index) => {
    const base = manifest.spec.apis[index % manifest.spec.apis.length]!;
    const word = WORDS[index % WORDS.length]!;
    const other = WORDS[(index * 7 + 3) % WORDS.length]!;
    return {
      ...base,
      id: `${word}-${index}-v1`,
      name: `${word}-${index}`,
      title: `${word[0]!.toUpperCase()}${word.slice(1)} API ${index}`,
      description: `${base.description} Manages ${word} and ${other} records for team ${index}.`,
      tags: [word, other],
      operations: base.operations.map((operation) => ({ ...operation, operationId: `${operation.operationId}${index}`, summary: `${operation.summary ?? ""} (${word})` })),
    };
  });
  return { ...manifest, spec: { ...manifest.spec, apis } };
}

export async function runPortalSearchBench(options: { apis?: number } = {}): Promise<PortalSearchBenchResult> {
  const manifest = await largeCatalog(options.apis ?? 500);
  const file = buildSearchIndex(manifest);
  const json = JSON.stringify(file);
  // What the page does once: parse the JSON and load the index.
  const loadStarted = performance.now();
  const search = searchIndexLoader(JSON.parse(json) as typeof file);
  const loadMs = performance.now() - loadStarted;
  const queries = [...WORDS, ...WORDS.map((word) => word.slice(0, 3)), ...WORDS.map((word) => `${word.slice(0, -1)}x`), "order cancel", "payment refund", "list", "get", "deprecated", "team 42", "inventory 7"];
  // Warm the JIT as a page's first keystrokes would.
  for (const query of queries) search(query);
  const times: number[] = [];
  for (let round = 0; round < 5; round++) {
    for (const query of queries) {
      const started = performance.now();
      search(query);
      times.push(performance.now() - started);
    }
  }
  times.sort((a, b) => a - b);
  return {
    apis: manifest.spec.apis.length,
    operations: manifest.spec.apis.reduce((sum, api) => sum + api.operations.length, 0),
    indexBytes: Buffer.byteLength(json),
    indexGzipBytes: gzipSync(json).length,
    loadMs,
    queries: times.length,
    medianMs: times[Math.floor(times.length / 2)]!,
    p99Ms: times[Math.floor(times.length * 0.99)]!,
    maxMs: times.at(-1)!,
  };
}
