/**
 * requestSizeLimit at the gateway: a declared Content-Length over the limit is refused at
 * once; a chunked body is read up to the limit (and refused beyond it) before anything is
 * sent upstream, so no upstream ever receives part of an oversized body.
 */
import type { z } from "zod";
import type { HandlerFactory } from "../../gateway-image/src/chain/policy-handler";
import { BodyTooLargeError } from "../../gateway-image/src/http/exchange";
import { problem } from "../../gateway-image/src/http/problem";
import type { requestSizeLimitPolicy } from "./schema";

export const createRequestSizeLimitHandler: HandlerFactory<z.output<typeof requestSizeLimitPolicy.config>> = (config) => {
  const max = config.maxBodyBytes;
  const tooLarge = () => problem("payload-too-large", `the request body is larger than ${max} bytes`);
  return {
    access(exchange) {
      const headers = exchange.req.headers;
      const length = headers["content-length"];
      if (length !== undefined) return Number(length) > max ? tooLarge() : undefined;
      if (headers["transfer-encoding"] === undefined) return undefined;
      return exchange.readBody(max).then(
        () => undefined,
        (error: unknown) => {
          if (error instanceof BodyTooLargeError) return tooLarge();
          throw error;
        },
      );
    },
  };
};
