/** Response masking: removes or redacts fields of JSON response bodies before they reach the client. */
import { z } from "zod";
import { definePolicy } from "../policy";
import { JsonPathError, parseJsonPath } from "./json-path";

/**
 * A JSONPath (RFC 9535) naming response fields: `$.customer.email`, `$.cards[*].number`,
 * `$..password` (at any depth), `$['odd.name']`. Filters, slices and unions are not part of
 * the subset; write one rule per path.
 */
const fieldPath = z.string().superRefine((text, context) => {
  try {
    if (parseJsonPath(text).segments.length === 0) context.addIssue({ code: "custom", message: "the path selects the whole body; name the fields to mask, e.g. $.customer.email" });
  } catch (error) {
    if (!(error instanceof JsonPathError)) throw error;
    context.addIssue({ code: "custom", message: `not a JSONPath this policy reads: ${error.message}` });
  }
});

const fieldRule = z.strictObject({
  /** The fields, as a JSONPath (RFC 9535 subset), e.g. `$.customer.email` or `$..password`. */
  path: fieldPath,
  /**
   * `"redact"` replaces each value with `replacement` (keeping the last `keepLast`
   * characters of strings and numbers); `"remove"` deletes the member (or array element).
   * @default "redact"
   */
  action: z.enum(["redact", "remove"]).default("redact"),
  /**
   * The string a redacted value becomes (numbers, objects and lists become this string too).
   * @default "****"
   */
  replacement: z.string().default("****"),
  /**
   * Characters kept at the end of a redacted string or number, after `replacement`, e.g. 4
   * for card numbers: `"4111111111111111"` → `"****1111"`. Kept only from values at least
   * twice that long, so that a short value is never mostly shown. Only with `"redact"`.
   * @default 0
   */
  keepLast: z.number().int().min(0).max(32).default(0),
}).superRefine((rule, context) => {
  if (rule.action === "remove" && rule.keepLast > 0) {
    context.addIssue({ code: "custom", path: ["keepLast"], message: 'keepLast applies to redacted values; a removed field has nothing left to keep: drop keepLast, or use action: "redact"' });
  }
});

export const maskingOptions = z.strictObject({
  /** The fields to mask, in order. At least one. */
  fields: z.array(fieldRule).min(1),
  /**
   * What happens to an answer with a body that is not JSON (its Content-Type is not
   * `application/json` or `*\/*+json`): `"reject"` answers 502 instead, so a field is never
   * sent unmasked because the upstream labelled its answer differently; `"pass"` sends it
   * unchanged. Answers without a body pass either way.
   * @default "reject"
   */
  nonJson: z.enum(["reject", "pass"]).default("reject"),
  /**
   * Largest body masked, in bytes, after its content coding is removed: a larger one gets
   * 502, since it cannot be masked. The body is held in memory until it has all arrived.
   * @default 1_048_576 (1 MiB)
   */
  maxBodyBytes: z.number().int().positive().max(67_108_864).default(1_048_576),
});

/** Options of {@link masking}. */
export type MaskingOptions = z.input<typeof maskingOptions>;

export const maskingPolicy = definePolicy({
  name: "masking",
  summary: "Removes or redacts fields of JSON response bodies (JSONPath), for every consumer or for a plan's.",
  phases: ["request", "response"],
  // After transform (100) in the request phase: the upstream request it changes is final.
  priority: 200,
  levels: ["platform", "api", "operation", "plan"],
  options: maskingOptions,
});

/**
 * Masks fields of JSON responses, e.g.
 * `masking({ fields: [{ path: "$.card.number", keepLast: 4 }, { path: "$..password", action: "remove" }] })`.
 */
export function masking(options: MaskingOptions) {
  return maskingPolicy.declare(options);
}
