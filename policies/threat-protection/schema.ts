/** Threat protection: JSON and XML structure limits and injection pattern screening. */
import { z } from "zod";
import { regexSource } from "../common";
import { definePolicy } from "../policy";

export const INJECTION_LOCATIONS = ["path", "query", "headers", "body"] as const;

export const threatProtectionOptions = z.strictObject({
  /** Limits on JSON bodies, checked while parsing. */
  json: z
    .strictObject({
      /**
       * Deepest nesting of objects and arrays.
       * @default 32
       */
      maxDepth: z.number().int().positive().default(32),
      /**
       * Most entries in one object.
       * @default 1_000
       */
      maxObjectKeys: z.number().int().positive().default(1_000),
      /**
       * Longest object key, in characters.
       * @default 256
       */
      maxKeyLength: z.number().int().positive().default(256),
      /**
       * Most items in one array.
       * @default 10_000
       */
      maxArrayItems: z.number().int().positive().default(10_000),
      /**
       * Longest string value, in characters.
       * @default 65_536
       */
      maxStringLength: z.number().int().positive().default(65_536),
    })
    .prefault({}),
  /** Limits on XML bodies. */
  xml: z
    .strictObject({
      /**
       * Reject documents with a DTD (`<!DOCTYPE`), which carries entity-expansion and XXE attacks.
       * @default true
       */
      rejectDtd: z.boolean().default(true),
      /**
       * Deepest element nesting.
       * @default 32
       */
      maxDepth: z.number().int().positive().default(32),
    })
    .prefault({}),
  /** Screening of request values for injection attacks. */
  injection: z
    .strictObject({
      /**
       * Screen for SQL injection patterns.
       * @default true
       */
      sql: z.boolean().default(true),
      /**
       * Screen for script injection (XSS) patterns.
       * @default true
       */
      script: z.boolean().default(true),
      /**
       * Screen for path traversal (`../`, encoded forms).
       * @default true
       */
      pathTraversal: z.boolean().default(true),
      /**
       * Extra patterns to reject (JavaScript regular expressions, `u` flag).
       * @default []
       */
      patterns: z.array(regexSource).default([]),
      /**
       * Parts of the request screened.
       * @default ["path", "query", "headers"]
       */
      locations: z.array(z.enum(INJECTION_LOCATIONS)).default(["path", "query", "headers"]),
    })
    .prefault({}),
});

/** Options of {@link threatProtection}. */
export type ThreatProtectionOptions = z.input<typeof threatProtectionOptions>;

export const threatProtectionPolicy = definePolicy({
  name: "threatProtection",
  summary: "Rejects JSON/XML bodies beyond structure limits, XML with a DTD, and values matching injection patterns.",
  phases: ["access"],
  priority: 600,
  levels: ["platform", "api", "operation"],
  options: threatProtectionOptions,
  resolve(options) {
    return { ...options, injection: { ...options.injection, locations: [...new Set(options.injection.locations)].sort() } };
  },
});

/** Screens requests for malicious payloads; every limit has a default. */
export function threatProtection(options: ThreatProtectionOptions = {}) {
  return threatProtectionPolicy.declare(options);
}
