/** Query edits for the upstream (query-edit.ts): what URLSearchParams meant, without rewriting the rest. */
import fc from "fast-check";
import { type QueryEdits, queryEditor } from "../../gateway-image/src/http/query-edit";

const editQuery = (query: string, edits: QueryEdits): string => queryEditor(edits)(query);

/** What the policies did before: the meaning to match. */
function viaUrlSearchParams(query: string, edits: QueryEdits): string {
  const params = new URLSearchParams(query);
  for (const name of edits.remove) params.delete(name);
  for (const [name, value] of edits.set) params.set(name, value);
  return params.toString();
}

const name = fc.constantFrom("api_key", "api%5Fkey", "trace", "a", "a+b", "a%20b", "flag", "%zz", "%C3%A9", "");
const value = fc.constantFrom("", "1", "a%20b", "a+b", "~", "%7e", "%zz", "x=y", "%C3%A9");
const pair = fc.oneof(fc.tuple(name, value).map(([n, v]) => `${n}=${v}`), name);
const query = fc.array(pair, { maxLength: 6 }).map((pairs) => pairs.join("&"));
const edits = fc.record({
  remove: fc.subarray(["api_key", "trace", "a b", "é"]),
  set: fc.subarray([["source", "gateway"], ["a", "x y"], ["trace", "0"]] as const).map((entries) => entries.map(([n, v]) => [n, v] as const)),
});

describe("editQuery", () => {
  it("means what URLSearchParams' delete and set meant (property)", () => {
    fc.assert(
      fc.property(query, edits, (raw, change) => {
        expect([...new URLSearchParams(editQuery(raw, change))]).toEqual([...new URLSearchParams(viaUrlSearchParams(raw, change))]);
      }),
      { numRuns: 2_000 },
    );
  });

  it("leaves every pair it does not edit as the client wrote it, in order (property)", () => {
    fc.assert(
      fc.property(query, edits, (raw, change) => {
        const edited = new Set([...change.remove, ...change.set.map(([n]) => n)]);
        // (An empty pair means nothing, and "&" alone may come out as "".)
        const untouched = raw.split("&").filter((item) => item !== "" && !edited.has([...new URLSearchParams(item)][0]![0]));
        const out = editQuery(raw, change);
        expect((out === "" ? [] : out.split("&")).filter((item) => untouched.includes(item))).toEqual(untouched);
      }),
      { numRuns: 2_000 },
    );
  });

  it("removes a credential without rewriting its neighbours", () => {
    expect(editQuery("q=a%20b&api_key=K&flag&tilde=~&plus=a+b&&x=%7e", { remove: ["api_key"], set: [] })).toBe("q=a%20b&flag&tilde=~&plus=a+b&&x=%7e");
    expect(editQuery("api%5Fkey=K&api_key=L", { remove: ["api_key"], set: [] })).toBe("");
    expect(editQuery("trace=1&keep=a%20b&trace=2", { remove: [], set: [["trace", "0 1"]] })).toBe("trace=0+1&keep=a%20b");
    expect(editQuery("", { remove: ["x"], set: [["source", "gateway"]] })).toBe("source=gateway");
  });
});
