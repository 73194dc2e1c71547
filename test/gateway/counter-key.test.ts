/** Counter keys: whose counter a request charges, the same string for a consumer record each time. */
import fc from "fast-check";
import { type CounterKeyKind, counterKeys } from "../../gateway-image/src/chain/counter-key";
import type { Exchange } from "../../gateway-image/src/http/exchange";

describe("counterKeys", () => {
  it("charges the consumer, else the client address (kind consumer); the address (ip); one counter (global)", () => {
    const consumers = [null, { name: "app" }, { name: "other" }, { name: "" }];
    fc.assert(
      fc.property(
        fc.string(),
        fc.constantFrom<CounterKeyKind>("consumer", "ip", "global"),
        fc.array(fc.tuple(fc.nat(3), fc.constantFrom("203.0.113.9", "2001:db8::1", "127.0.0.1")), { minLength: 1, maxLength: 20 }),
        (prefix, kind, requests) => {
          const keyOf = counterKeys(prefix, kind);
          for (const [index, clientIp] of requests) {
            const consumer = consumers[index]!;
            const expected = kind === "global" ? `${prefix}all` : kind === "consumer" && consumer !== null ? `${prefix}c:${consumer.name}` : `${prefix}ip:${clientIp}`;
            expect(keyOf({ consumer, clientIp } as unknown as Exchange)).toBe(expected);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
