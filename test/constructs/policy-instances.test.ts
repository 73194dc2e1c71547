/** Identical chain entries become one instance; ids carry a hash only where a scope has variants. */
import { PolicyInstances } from "../../constructs/compile/policy-instances";
import type { ChainEntry } from "../../constructs/compile/policy-chain";
import type { Api } from "../../constructs/manifest/schema";

const transformEntry = (set: Record<string, string>, scope = "items-v1/transform"): ChainEntry => ({
  policy: "transform",
  scope,
  level: "api",
  declaredAt: "acme/items/policies/transform",
  phases: ["request", "response"],
  when: null,
  config: { request: { headers: { set, remove: [] }, query: { set: {}, remove: [] }, path: null }, response: { headers: { set: {}, remove: [] } } },
});

function apiWith(chains: string[][]): Api {
  return { operations: chains.map((policies) => ({ policies })) } as unknown as Api;
}

describe("PolicyInstances", () => {
  it("merges entries that differ only in the order of their keys", () => {
    const instances = new PolicyInstances();
    const api = apiWith([[instances.add(transformEntry({ "x-a": "1", "x-b": "2" }))], [instances.add(transformEntry({ "x-b": "2", "x-a": "1" }))]]);
    const list = instances.finish([api]);
    expect(list.map((instance) => instance.id)).toEqual(["items-v1/transform"]);
    expect(api.operations.map((operation) => operation.policies)).toEqual([["items-v1/transform"], ["items-v1/transform"]]);
  });

  it("suffixes ids with a hash of the config when one scope resolved to several configs", () => {
    const instances = new PolicyInstances();
    const api = apiWith([[instances.add(transformEntry({ "x-a": "1" }))], [instances.add(transformEntry({ "x-a": "2" }))], [instances.add(transformEntry({}, "platform/transform"))]]);
    const ids = instances.finish([api]).map((instance) => instance.id);
    expect(ids).toHaveLength(3);
    expect(ids[0]).toBe("items-v1/transform#" + ids[0]!.split("#")[1]);
    expect(ids.slice(0, 2).every((id) => /^items-v1\/transform#[0-9a-f]{8}$/.test(id))).toBe(true);
    expect(ids[2]).toBe("platform/transform");
    expect(api.operations.map((operation) => operation.policies[0])).toEqual([expect.stringMatching(/#/), expect.stringMatching(/#/), "platform/transform"]);
  });
});
