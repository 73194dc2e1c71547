/** IP allow and deny lists (IPv4 and IPv6 CIDR ranges) on the client address. */
import { z } from "zod";
import { ipRange, sortedSet } from "../common";
import { definePolicy } from "../policy";

export const ipFilterOptions = z
  .strictObject({
    /**
     * Ranges allowed to call; when non-empty, every other address is denied.
     * @default []
     */
    allow: z.array(ipRange).default([]),
    /**
     * Ranges denied; deny wins over allow.
     * @default []
     */
    deny: z.array(ipRange).default([]),
  })
  .refine((options) => options.allow.length > 0 || options.deny.length > 0, {
    message: "an ipFilter needs at least one range in `allow` or `deny`",
  });

/** Options of {@link ipFilter}. The client address is taken after the platform's `trustedProxies`. */
export type IpFilterOptions = z.input<typeof ipFilterOptions>;

export const ipFilterPolicy = definePolicy({
  name: "ipFilter",
  summary: "Allows or denies callers by client IP address (IPv4/IPv6 CIDR), behind trusted proxies; answers 403.",
  phases: ["access"],
  priority: 100,
  levels: ["platform", "api", "operation"],
  options: ipFilterOptions,
  resolve: (options) => ({ allow: sortedSet(options.allow), deny: sortedSet(options.deny) }),
});

/** Allows or denies client addresses, e.g. `ipFilter({ deny: ["203.0.113.0/24"] })`. */
export function ipFilter(options: IpFilterOptions) {
  return ipFilterPolicy.declare(options);
}
