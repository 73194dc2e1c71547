/** The IETF RateLimit fields rateLimit and quota add to a response. */
import fc from "fast-check";
import { rateLimitFields } from "../../gateway-image/src/chain/rate-limit-fields";

describe("rateLimitFields", () => {
  it("adds one RateLimit-Policy and one RateLimit item per policy, as a list after what is there", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ scope: fc.stringMatching(/^[a-z0-9/:-]{1,20}$/), quota: fc.nat(), window: fc.nat(), remaining: fc.nat(), reset: fc.nat() }), { maxLength: 4 }),
        fc.option(fc.string({ minLength: 1, maxLength: 20 }), { nil: undefined }),
        (policies, fromUpstream) => {
          const headers: Record<string, string | string[] | undefined> = { ratelimit: fromUpstream };
          for (const { scope, quota, window, remaining, reset } of policies) rateLimitFields(scope, quota, window)(headers, remaining, reset);
          const items = (value: string | string[] | undefined) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
          expect(items(headers["ratelimit-policy"])).toEqual(policies.map(({ scope, quota, window }) => `"${scope}";q=${quota};w=${window}`));
          expect(items(headers.ratelimit)).toEqual([...items(fromUpstream), ...policies.map(({ scope, remaining, reset }) => `"${scope}";r=${remaining};t=${reset}`)]);
        },
      ),
    );
  });
});
