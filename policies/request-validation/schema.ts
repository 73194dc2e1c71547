/** Request validation against the contract: path, query, headers and body. */
import { z } from "zod";
import { definePolicy } from "../policy";

export const requestValidationOptions = z.strictObject({
  /**
   * Validate path parameters against their schemas.
   * @default true
   */
  path: z.boolean().default(true),
  /**
   * Validate query parameters (required ones present, values match their schemas).
   * @default true
   */
  query: z.boolean().default(true),
  /**
   * Validate the header parameters the contract declares.
   * @default true
   */
  headers: z.boolean().default(true),
  /**
   * Validate the body against the schema of its media type; answers 415 for media types the
   * contract does not declare.
   * @default true
   */
  body: z.boolean().default(true),
  /**
   * Reject query parameters the contract does not declare.
   * @default false
   */
  rejectUnknownQueryParameters: z.boolean().default(false),
});

/** Options of {@link requestValidation}. */
export type RequestValidationOptions = z.input<typeof requestValidationOptions>;

export const requestValidationPolicy = definePolicy({
  name: "requestValidation",
  summary: "Validates path, query, header parameters and the body against the contract's schemas; answers 400 with field errors.",
  phases: ["access"],
  priority: 700,
  levels: ["platform", "api", "operation"],
  options: requestValidationOptions,
});

/** Validates requests against the contract's schemas. */
export function requestValidation(options: RequestValidationOptions = {}) {
  return requestValidationPolicy.declare(options);
}
