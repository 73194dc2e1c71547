/** Response headers policies add to an exchange. */
import fc from "fast-check";
import { appendHeader, appendRateLimitHeaders } from "../../gateway-image/src/http/exchange";

describe("appendRateLimitHeaders", () => {
  it("adds what appendHeader adds for RateLimit-Policy and RateLimit, one policy after another", () => {
    const item = fc.string({ minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(fc.array(fc.tuple(item, item), { maxLength: 5 }), fc.option(item, { nil: undefined }), (policies, fromUpstream) => {
        const expected: Record<string, string | string[] | undefined> = { ratelimit: fromUpstream };
        const actual: Record<string, string | string[] | undefined> = { ratelimit: fromUpstream };
        for (const [policy, limit] of policies) {
          appendHeader(expected, "ratelimit-policy", policy);
          appendHeader(expected, "ratelimit", limit);
          appendRateLimitHeaders(actual, policy, limit);
        }
        expect(actual).toEqual(expected);
      }),
    );
  });
});
