/**
 * Values generated from a contract's schemas with openapi-sampler (Redocly's sampler, the
 * one its docs show samples with): it prefers a schema's `example`/`examples`/`default`/
 * `const`, and is deterministic, so the same contract always mocks the same bodies.
 */
import { type Options, sample } from "openapi-sampler";
import type { Json } from "./refs";

/** What is sampled: a response body or header never carries `writeOnly` members. */
const RESPONSE_OPTIONS: Options = { skipReadOnly: false, skipWriteOnly: true, enablePatterns: true, quiet: true };

/**
 * A sample of `schema` for a response. `document` is the whole contract, so `$ref`s
 * into its components resolve. `xml` gives an XML string (the schema's `xml` hints honoured).
 */
export function sampleResponseValue(schema: Json, document: Json, xml = false): unknown {
  return sample(schema as Parameters<typeof sample>[0], xml ? { ...RESPONSE_OPTIONS, format: "xml" } : RESPONSE_OPTIONS, document);
}
