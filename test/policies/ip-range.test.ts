/**
 * Property-based tests of `ipRange` (policies/common.ts), the parser behind ipFilter's lists
 * and the platform's trustedProxies: what it accepts, how it normalizes, what it rejects.
 */
import fc from "fast-check";
import { ipRange } from "../../policies/common";

const parse = (value: string) => ipRange.safeParse(value);

/** Asserts `value` is rejected with the parser's own message. */
function expectRejected(value: string): void {
  const result = parse(value);
  expect(result.success).toBe(false);
  expect(result.error!.issues.map((issue) => issue.message)).toEqual([`"${value}" is not an IPv4/IPv6 address or CIDR range (e.g. 10.0.0.0/8, 2001:db8::/32)`]);
}

const ipv4 = fc.ipV4();
/** IPv6 addresses in every notation fast-check knows (compressed, embedded IPv4), in mixed case. */
const ipv6 = fc.mixedCase(fc.ipV6());
const anyAddress = fc.oneof(ipv4, ipv6);
/** Prefixes as users write them: decimal, no padding. */
const prefix = (max: number) => fc.integer({ min: 0, max });

describe("ipRange", () => {
  describe("accepts and normalizes", () => {
    it("an IPv4 address with a prefix of 0 to 32, unchanged", () => {
      fc.assert(
        fc.property(ipv4, prefix(32), (address, bits) => {
          expect(parse(`${address}/${bits}`)).toEqual({ success: true, data: `${address}/${bits}` });
        }),
      );
    });

    it("a bare IPv4 address as a /32 range", () => {
      fc.assert(
        fc.property(ipv4, (address) => {
          expect(parse(address)).toEqual({ success: true, data: `${address}/32` });
        }),
      );
    });

    it("an IPv6 address with a prefix of 0 to 128, lower-cased", () => {
      fc.assert(
        fc.property(ipv6, prefix(128), (address, bits) => {
          expect(parse(`${address}/${bits}`)).toEqual({ success: true, data: `${address.toLowerCase()}/${bits}` });
        }),
      );
    });

    it("a bare IPv6 address as a /128 range, lower-cased", () => {
      fc.assert(
        fc.property(ipv6, (address) => {
          expect(parse(address)).toEqual({ success: true, data: `${address.toLowerCase()}/128` });
        }),
      );
    });

    it("its own output unchanged (normalizing twice changes nothing)", () => {
      fc.assert(
        fc.property(anyAddress, fc.option(prefix(32), { nil: undefined }), (address, bits) => {
          const once = parse(bits === undefined ? address : `${address}/${bits}`);
          expect(once.success).toBe(true);
          expect(parse(once.data!)).toEqual(once);
        }),
      );
    });
  });

  describe("rejects", () => {
    it("an IPv4 prefix beyond 32", () => {
      fc.assert(fc.property(ipv4, fc.integer({ min: 33, max: 2 ** 31 }), (address, bits) => expectRejected(`${address}/${bits}`)));
      expectRejected("10.0.0.0/33");
    });

    it("an IPv6 prefix beyond 128", () => {
      fc.assert(fc.property(ipv6, fc.integer({ min: 129, max: 2 ** 31 }), (address, bits) => expectRejected(`${address}/${bits}`)));
      expectRejected("::1/129");
    });

    it("a prefix that is not a decimal number (empty, signed, fractional, hexadecimal, spaced, letters)", () => {
      const nonNumeric = fc.oneof(
        fc.string({ maxLength: 6 }).filter((text) => !/^\d+$/.test(text) && !text.includes("/")),
        fc.constantFrom("", "-1", "+8", "8.0", "0x8", " 8", "8 ", "eight", "1e1"),
      );
      fc.assert(fc.property(anyAddress, nonNumeric, (address, bits) => expectRejected(`${address}/${bits}`)));
    });

    it("more than one slash", () => {
      fc.assert(
        fc.property(anyAddress, prefix(32), fc.string({ maxLength: 4 }), (address, bits, tail) => {
          expectRejected(`${address}/${bits}/${tail}`);
          expectRejected(`${address}//${bits}`);
        }),
      );
    });

    it("host names", () => {
      fc.assert(fc.property(fc.domain(), prefix(32), (domain, bits) => {
        expectRejected(domain);
        expectRejected(`${domain}/${bits}`);
      }));
    });

    it("dotted quads with an octet beyond 255, or with fewer or more than four parts", () => {
      const octet = fc.integer({ min: 0, max: 255 });
      const tooBig = fc.tuple(fc.array(octet, { minLength: 3, maxLength: 3 }), fc.integer({ min: 256, max: 99_999 }), fc.nat(3)).map(([octets, big, at]) => {
        const parts = octets.map(String);
        parts.splice(at, 0, String(big));
        return parts.join(".");
      });
      const wrongLength = fc.oneof(fc.array(octet, { minLength: 1, maxLength: 3 }), fc.array(octet, { minLength: 5, maxLength: 8 })).map((parts) => parts.join("."));
      fc.assert(fc.property(fc.oneof(tooBig, wrongLength), prefix(32), (address, bits) => {
        expectRejected(address);
        expectRejected(`${address}/${bits}`);
      }));
    });

    it("addresses padded with whitespace", () => {
      fc.assert(
        fc.property(anyAddress, fc.constantFrom(" ", "\t", "\n"), fc.boolean(), (address, space, before) => {
          expectRejected(before ? `${space}${address}` : `${address}${space}`);
        }),
      );
    });

    it("an empty string and a bare prefix", () => {
      expectRejected("");
      expectRejected("/8");
    });
  });

  describe("regressions", () => {
    // Fixed: before, node's isIP() accepts IPv6 scope (zone) ids, so "fe80::1%eth0" passes as the range
    // "fe80::1%eth0/128" (and "fe80::%eth0/64" as a /64). A zone names an interface of one
    // host; it is not part of a CIDR range, and a gateway matching client addresses against it
    // would never match (or fail to parse the range).
    it("rejects IPv6 addresses with a zone id", () => {
      expectRejected("fe80::1%eth0");
      expectRejected("fe80::%eth0/64");
    });
  });
});
