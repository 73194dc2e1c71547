/** ipFilter at the gateway: deny wins; a non-empty allow list admits only its ranges. */
import type { z } from "zod";
import type { HandlerFactory } from "../../gateway-image/src/chain/policy-handler";
import { IpRanges } from "../../gateway-image/src/http/ip-ranges";
import { problem } from "../../gateway-image/src/http/problem";
import type { ipFilterPolicy } from "./schema";

export const createIpFilterHandler: HandlerFactory<z.output<typeof ipFilterPolicy.config>> = (config) => {
  const allow = new IpRanges(config.allow);
  const deny = new IpRanges(config.deny);
  return {
    access(exchange) {
      const address = exchange.clientIp;
      if (deny.contains(address) || (!allow.empty && !allow.contains(address))) return problem("forbidden", "requests from this address are not allowed");
      return undefined;
    },
  };
};
