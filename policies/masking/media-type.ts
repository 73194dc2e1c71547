/** Which bodies masking reads as JSON: shared by the handler (by Content-Type) and the lint rule (by the contract's media types). */

/** `application/json`, `text/json` or any `*\/*+json` media type (RFC 6839), parameters ignored. */
export function isJsonMediaType(value: string): boolean {
  const semicolon = value.indexOf(";");
  const type = (semicolon < 0 ? value : value.slice(0, semicolon)).trim().toLowerCase();
  return type === "application/json" || type === "text/json" || (type.endsWith("+json") && type.indexOf("/") > 0);
}
