/**
 * The changelog of each API: what changed for its consumers from one declared version to the
 * next (orders 1.4.0 → 2.0.0), computed from the two contracts by the same breaking-change
 * engine `turnpike diff` uses (policies/governance/breaking-changes.ts), so the portal and
 * the pull-request preview rate every change the same way.
 *
 * Async (the engine runs Redocly's diff), so it is computed before `generatePortal`, which
 * renders it: `generatePortal(manifest, { changelogs: await buildChangelogs(manifest) })`.
 */
import type { Api, GatewayConfig } from "../constructs/manifest/schema";
import { type ContractChange, detectContractChanges } from "../policies/governance/breaking-changes";
import { listedApis } from "./model";

/** What changed between two consecutive versions of an API. */
export interface ChangelogEntry {
  /** The older version's API id and version, e.g. `orders-v1`, `1.4.0`. */
  readonly from: { readonly id: string; readonly version: string };
  /** The newer one. */
  readonly to: { readonly id: string; readonly version: string };
  /** Breaking changes first (the engine's order). */
  readonly changes: readonly ContractChange[];
}

/** Changelog entries per API name, newest version first. APIs with one listed version have none. */
export type Changelogs = ReadonlyMap<string, readonly ChangelogEntry[]>;

/** Orders versions by major, minor, patch; a pre-release before its release. */
export function compareVersions(a: string, b: string): number {
  const parse = (version: string) => {
    const [core = "", prerelease] = version.split("+")[0]!.split(/-(.*)/s);
    return { numbers: core.split(".").map(Number), prerelease: prerelease ?? null };
  };
  const left = parse(a);
  const right = parse(b);
  for (let index = 0; index < 3; index++) {
    const difference = (left.numbers[index] ?? 0) - (right.numbers[index] ?? 0);
    if (difference !== 0) return difference;
  }
  if (left.prerelease === right.prerelease) return 0;
  if (left.prerelease === null) return 1;
  if (right.prerelease === null) return -1;
  return left.prerelease < right.prerelease ? -1 : 1;
}

/** Consecutive pairs (older, newer) of the listed versions of each API name. */
export function versionPairs(manifest: GatewayConfig): Map<string, [Api, Api][]> {
  const byName = new Map<string, Api[]>();
  for (const api of listedApis(manifest)) byName.set(api.name, [...(byName.get(api.name) ?? []), api]);
  const pairs = new Map<string, [Api, Api][]>();
  for (const [name, versions] of byName) {
    if (versions.length < 2) continue;
    const sorted = [...versions].sort((a, b) => compareVersions(a.version, b.version));
    pairs.set(
      name,
      sorted.slice(1).map((newer, index) => [sorted[index]!, newer]),
    );
  }
  return pairs;
}

/** Every API's changelog, from its listed versions' contracts. */
export async function buildChangelogs(manifest: GatewayConfig): Promise<Changelogs> {
  const changelogs = new Map<string, ChangelogEntry[]>();
  for (const [name, pairs] of versionPairs(manifest)) {
    const entries = await Promise.all(
      pairs.map(async ([older, newer]): Promise<ChangelogEntry> => ({
        from: { id: older.id, version: older.version },
        to: { id: newer.id, version: newer.version },
        changes: await detectContractChanges(older.contract.document as Record<string, unknown>, newer.contract.document as Record<string, unknown>),
      })),
    );
    changelogs.set(name, entries.reverse());
  }
  return changelogs;
}
