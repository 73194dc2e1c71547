/** Counter keys: the cached per-consumer key is the key the store and the quota report use. */
import fc from "fast-check";
import { type CounterKeyKind, counterKey, prefixedCounterKey } from "../../gateway-image/src/chain/counter-key";
import type { Exchange } from "../../gateway-image/src/http/exchange";

describe("prefixedCounterKey", () => {
  it("is prefix + counterKey for every kind, consumer and address, also when a consumer record comes back", () => {
    const consumers = [null, { name: "app" }, { name: "other" }, { name: "" }];
    fc.assert(
      fc.property(
        fc.string(),
        fc.constantFrom<CounterKeyKind>("consumer", "ip", "global"),
        fc.array(fc.tuple(fc.nat(3), fc.constantFrom("203.0.113.9", "2001:db8::1", "127.0.0.1")), { minLength: 1, maxLength: 20 }),
        (prefix, kind, requests) => {
          const keyOf = prefixedCounterKey(prefix, kind);
          for (const [consumer, clientIp] of requests) {
            const exchange = { consumer: consumers[consumer], clientIp } as unknown as Exchange;
            expect(keyOf(exchange)).toBe(prefix + counterKey(kind, exchange));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
