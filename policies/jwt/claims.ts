/** What the jwt policy takes from a verified token's claims: scopes, the consumer's name, header values. */
import type { JWTPayload } from "jose";

/** Scopes in a claim: a space-separated string (RFC 8693 `scope`) or an array of strings (`scp`). */
export function scopesOf(claim: unknown): string[] {
  if (typeof claim === "string") return claim.split(" ").filter((scope) => scope !== "");
  if (Array.isArray(claim)) return claim.filter((scope): scope is string => typeof scope === "string" && scope !== "");
  return [];
}

/** The value of the claim naming the consumer, when it is a string or a number. */
export function subjectOf(payload: JWTPayload, claim: string): string | undefined {
  const value = payload[claim];
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

/** Printable ASCII, space and tab: what every upstream reads the same way. */
const SAFE_HEADER_VALUE = /^[\t\x20-\x7e]*$/;

/**
 * A claim as an upstream header value: strings as they are, numbers and booleans written
 * out, arrays and objects as JSON. `undefined` when the claim is absent or its value is not
 * printable ASCII: a control character could split the header, and other bytes are read
 * differently by different servers.
 */
export function claimHeaderValue(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : JSON.stringify(value);
  return SAFE_HEADER_VALUE.test(text) ? text : undefined;
}
