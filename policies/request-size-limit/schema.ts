/** Request body size limit, checked against Content-Length and while streaming. */
import { z } from "zod";
import { definePolicy } from "../policy";

export const requestSizeLimitOptions = z.strictObject({
  /**
   * Largest request body accepted, in bytes; larger bodies get 413 before reaching the upstream.
   * @default 1_048_576 (1 MiB)
   */
  maxBodyBytes: z.number().int().positive().default(1_048_576),
});

/** Options of {@link requestSizeLimit}. */
export type RequestSizeLimitOptions = z.input<typeof requestSizeLimitOptions>;

export const requestSizeLimitPolicy = definePolicy({
  name: "requestSizeLimit",
  summary: "Rejects request bodies larger than a limit with 413, from Content-Length or while streaming.",
  phases: ["access"],
  priority: 300,
  levels: ["platform", "api", "operation"],
  options: requestSizeLimitOptions,
});

/** Limits request body size, e.g. `requestSizeLimit({ maxBodyBytes: 65_536 })`. */
export function requestSizeLimit(options: RequestSizeLimitOptions = {}) {
  return requestSizeLimitPolicy.declare(options);
}
