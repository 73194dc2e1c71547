/** Sets of IPv4/IPv6 ranges, matched with Node's BlockList (no hand-written CIDR maths). */
import { BlockList, isIPv4 } from "node:net";

/** `::ffff:10.1.2.3` (an IPv4 client on a dual-stack socket) is the IPv4 address `10.1.2.3`. */
export function normalizeAddress(address: string): string {
  return address.startsWith("::ffff:") && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

export class IpRanges {
  private readonly list = new BlockList();
  readonly empty: boolean;

  /** `ranges` as the manifest writes them: `address/prefix`. */
  constructor(ranges: readonly string[]) {
    for (const range of ranges) {
      const [address = "", prefix = ""] = range.split("/");
      this.list.addSubnet(address, Number(prefix), isIPv4(address) ? "ipv4" : "ipv6");
    }
    this.empty = ranges.length === 0;
  }

  /** Whether a (normalized) address is in one of the ranges. */
  contains(address: string): boolean {
    if (this.empty) return false;
    try {
      return this.list.check(address, isIPv4(address) ? "ipv4" : "ipv6");
    } catch {
      return false;
    }
  }
}
