/** Contract values on the wire: response bodies by media type, header values in `simple` style. */
import { INVALID_HEADER_VALUE } from "../../../gateway-image/src/http/header-syntax";

/** JSON media types: `application/json`, `application/problem+json`, `…+json`. */
export function isJsonMediaType(mediaType: string): boolean {
  return /^[^/]+\/([^;]*\+)?json\s*(;|$)/i.test(mediaType);
}

export function isXmlMediaType(mediaType: string): boolean {
  return /^[^/]+\/([^;]*\+)?xml\s*(;|$)/i.test(mediaType);
}

/** A body value as bytes: JSON for JSON media types (and for structured values anywhere else), a string as written. */
export function encodeBody(value: unknown, mediaType: string): Buffer {
  if (typeof value === "string" && !isJsonMediaType(mediaType)) return Buffer.from(value);
  return Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
}

/** What `Content-Type` says for a declared media type; a range (`image/*`, `*\/*`) names no type a body can have. */
export function contentTypeOf(mediaType: string): string {
  return mediaType.includes("*") ? "application/octet-stream" : mediaType;
}

/**
 * A header value serialized as OpenAPI's default `simple` style does (arrays and objects as
 * comma-separated lists); null when it cannot be sent as a header.
 */
export function encodeHeaderValue(value: unknown): string | null {
  let text: string;
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) text = value.map(String).join(",");
  else if (typeof value === "object") text = Object.entries(value as Record<string, unknown>).flatMap(([key, member]) => [key, String(member)]).join(",");
  else text = String(value);
  return INVALID_HEADER_VALUE.test(text) ? null : text;
}
