/**
 * masking at the gateway: the upstream is asked for the whole, uncoded body (no Range, no
 * compression), and each JSON answer's fields named by the rules are removed or redacted
 * before it goes out. Only what a rule names changes: the rest of the document is written
 * back with its numbers as the upstream wrote them (`json-document.ts`), and an answer no
 * rule matches goes out byte for byte. An answer that cannot be masked (not JSON when that
 * is refused, invalid JSON, too large) is a 502, never the unmasked body.
 */
import type { z } from "zod";
import type { HandlerFactory } from "../../gateway-image/src/chain/policy-handler";
import { type BodyRewrite, BodyRewriteError } from "../../gateway-image/src/http/body-rewrite";
import type { HeaderMap } from "../../gateway-image/src/http/exchange";
import { JsonDocumentError, JsonNumber, type JsonDocumentValue, parseJsonDocument, serializeJsonDocument } from "./json-document";
import { type JsonPath, findMatches, parseJsonPath } from "./json-path";
import { isJsonMediaType } from "./media-type";
import type { maskingPolicy } from "./schema";

type MaskingConfig = z.output<typeof maskingPolicy.config>;

interface FieldRule {
  readonly path: JsonPath;
  readonly action: "redact" | "remove";
  readonly replacement: string;
  readonly keepLast: number;
}

/** Documents nested deeper than this are refused rather than walked (threat protection's default depth is far lower). */
const MAX_DEPTH = 512;

export const createMaskingHandler: HandlerFactory<MaskingConfig> = (config) => {
  const rules: FieldRule[] = config.fields.map((field) => ({ ...field, path: parseJsonPath(field.path) }));
  const maxBytes = config.maxBodyBytes;
  const mask: BodyRewrite = { maxBytes, rewrite: (body) => maskBody(body, rules) };
  const refuseNonJson: BodyRewrite = {
    maxBytes,
    rewrite(body) {
      if (body.length === 0) return body;
      throw new BodyRewriteError("the upstream's answer is not JSON (by its Content-Type), so the fields this operation masks cannot be found in it");
    },
  };
  const refusePartial: BodyRewrite = {
    maxBytes,
    rewrite() {
      throw new BodyRewriteError("the upstream answered with part of the document (206), whose fields cannot be masked");
    },
  };
  return {
    request(exchange) {
      const headers = exchange.upstreamHeaders;
      // A part of a document cannot be masked, and a coded one would have to be decoded here.
      if (headers.range !== undefined) delete headers.range;
      if (headers["if-range"] !== undefined) delete headers["if-range"];
      headers["accept-encoding"] = "identity";
      return undefined;
    },
    responseBody(_exchange, status, headers) {
      if (isJson(headers)) return status === 206 ? refusePartial : mask;
      return config.nonJson === "pass" ? undefined : refuseNonJson;
    },
  };
};

/** A JSON body by its Content-Type (one value; two are ambiguous, so not JSON). */
function isJson(headers: HeaderMap): boolean {
  const value = headers["content-type"];
  return typeof value === "string" && isJsonMediaType(value);
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The body with the rules applied; the same bytes when no rule matches anything. */
export function maskBody(body: Buffer, rules: readonly FieldRule[]): Buffer {
  if (body.length === 0) throw new BodyRewriteError("the upstream's answer says it is JSON but is empty");
  let text: string;
  try {
    // JSON is UTF-8 (RFC 8259 §8.1); a leading BOM is dropped by the decoder.
    text = utf8.decode(body);
  } catch {
    throw new BodyRewriteError("the upstream's answer says it is JSON but is not valid UTF-8");
  }
  let document: JsonDocumentValue;
  try {
    document = parseJsonDocument(text, { maxDepth: MAX_DEPTH });
  } catch (error) {
    if (!(error instanceof JsonDocumentError)) throw error;
    throw new BodyRewriteError(`the upstream's JSON answer cannot be read to mask it: ${error.message}`);
  }
  let changed = false;
  for (const rule of rules) {
    const matches = findMatches(document, rule.path);
    if (matches.length === 0) continue;
    changed = true;
    if (rule.action === "redact") {
      for (const { parent, key } of matches) (parent as Record<string | number, JsonDocumentValue>)[key] = redacted((parent as Record<string | number, JsonDocumentValue>)[key]!, rule);
      continue;
    }
    // Array elements last to first, so that removing one does not move the next one's index.
    const fromArrays: { list: unknown[]; index: number }[] = [];
    for (const { parent, key } of matches) {
      if (Array.isArray(parent)) fromArrays.push({ list: parent, index: key as number });
      else delete (parent as Record<string, unknown>)[key as string];
    }
    fromArrays.sort((a, b) => b.index - a.index);
    for (const { list, index } of fromArrays) list.splice(index, 1);
  }
  return changed ? Buffer.from(serializeJsonDocument(document)) : body;
}

/** A redacted value: the replacement, with the last characters of a long enough string or number after it. */
function redacted(value: JsonDocumentValue, rule: FieldRule): string {
  if (rule.keepLast > 0) {
    const text = typeof value === "string" ? value : value instanceof JsonNumber ? value.raw : null;
    // By code point, so a kept character is never half of a surrogate pair.
    const characters = text === null ? null : Array.from(text);
    if (characters !== null && characters.length >= 2 * rule.keepLast) return rule.replacement + characters.slice(-rule.keepLast).join("");
  }
  return rule.replacement;
}
