/** The IETF RateLimit fields rateLimit and quota add to a response. */
import fc from "fast-check";
import { INVALID_HEADER_VALUE } from "../../gateway-image/src/http/header-syntax";
import { rateLimitFields, structuredFieldString } from "../../gateway-image/src/chain/rate-limit-fields";

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

  it("writes any scope as a valid sf-string that cannot split the head, and the scope can be read back", () => {
    // RFC 8941 §3.3.3: DQUOTE *( unescaped / "\" ( DQUOTE / "\" ) ) DQUOTE, unescaped = %x20-21 / %x23-5B / %x5D-7E.
    const SF_STRING = /^"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*"$/;
    const readBack = (field: string) => decodeURIComponent(field.slice(1, -1).replace(/\\(["\\])/g, "$1"));
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 30 }), fc.nat(), fc.nat(), (scope, remaining, reset) => {
        const headers: Record<string, string | string[] | undefined> = {};
        rateLimitFields(scope, 10, 60)(headers, remaining, reset);
        const policy = headers["ratelimit-policy"] as string;
        const limit = headers.ratelimit as string;
        for (const value of [policy, limit]) expect(INVALID_HEADER_VALUE.test(value)).toBe(false);
        const name = structuredFieldString(scope);
        expect(name).toMatch(SF_STRING);
        expect(readBack(name)).toBe(scope);
        expect(policy).toBe(`${name};q=10;w=60`);
        expect(limit).toBe(`${name};r=${remaining};t=${reset}`);
      }),
    );
  });

  it("escapes a quote and a backslash, and percent-encodes a line break, % and non-ASCII", () => {
    expect(structuredFieldString('shop/get "a\\b"/limit')).toBe('"shop/get \\"a\\\\b\\"/limit"');
    expect(structuredFieldString("a\r\nx-admin: yes")).toBe('"a%0D%0Ax-admin: yes"');
    expect(structuredFieldString("50%/café")).toBe('"50%25/caf%C3%A9"');
  });
});
