import { compactCanonicalJson, sha256Hex } from "../manifest/canonical-json";
import type { Api as ManifestApi, PolicyInstance } from "../manifest/schema";
import { compareText } from "./compare-text";
import type { ChainEntry } from "./policy-chain";

/**
 * Identical chain entries become one policy instance. Ids are assigned at the end: an
 * instance's id is its scope, or scope#hash when the scope resolved to several variants.
 */
export class PolicyInstances {
  private readonly byKey = new Map<string, { entry: ChainEntry; placeholder: string }>();
  private readonly byPlaceholder = new Map<string, ChainEntry>();

  /** Registers an entry; returns a placeholder id replaced by `finish()`. */
  add(entry: ChainEntry): string {
    // A quick key: entries built by the same code have their keys in the same order. Entries
    // equal but for key order (records written in another order) are merged in finish().
    const key = JSON.stringify(entry);
    let known = this.byKey.get(key);
    if (!known) {
      known = { entry, placeholder: `pending:${this.byKey.size}` };
      this.byKey.set(key, known);
      this.byPlaceholder.set(known.placeholder, entry);
    }
    return known.placeholder;
  }

  get(placeholder: string): ChainEntry {
    return this.byPlaceholder.get(placeholder)!;
  }

  /** Assigns final ids, rewrites the operations' chains, returns the instances sorted by id. */
  finish(apis: ManifestApi[]): PolicyInstance[] {
    const canonical = new Map<string, { entry: ChainEntry; placeholders: string[] }>();
    for (const { entry, placeholder } of this.byKey.values()) {
      const key = compactCanonicalJson(entry);
      const known = canonical.get(key);
      if (known) known.placeholders.push(placeholder);
      else canonical.set(key, { entry, placeholders: [placeholder] });
    }
    const variants = new Map<string, number>();
    for (const { entry } of canonical.values()) variants.set(entry.scope, (variants.get(entry.scope) ?? 0) + 1);
    const ids = new Map<string, string>();
    const list: PolicyInstance[] = [];
    for (const [key, { entry, placeholders }] of canonical) {
      const id = variants.get(entry.scope)! > 1 ? `${entry.scope}#${sha256Hex(key).slice(0, 8)}` : entry.scope;
      for (const placeholder of placeholders) ids.set(placeholder, id);
      list.push({ id, ...entry } as PolicyInstance);
    }
    for (const api of apis) for (const operation of api.operations) operation.policies = operation.policies.map((placeholder) => ids.get(placeholder)!);
    return list.sort((a, b) => compareText(a.id, b.id));
  }
}
