/**
 * Cache keys. A response is found in two steps, as in Varnish and RFC 9111 §4.1: the
 * primary key (instance, consumer, host, path, sorted query, the configured vary headers)
 * names a resource; the upstream's `Vary` — learnt from the last response stored for that
 * primary key — adds the values of the request headers it names, to pick the variant.
 *
 * Keys are lines of text: host, path and query cannot contain a newline, header names are
 * tokens and Node rejects header values with control characters, so the parts never run
 * into each other.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Exchange } from "../../gateway-image/src/http/exchange";

/**
 * The primary key of a request. GET and HEAD share it: a HEAD is answered from the GET
 * entry (RFC 9110 §9.3.2: the same header fields, without the body).
 *
 * @param prefix - the policy instance's own prefix, so two instances never share entries.
 * @param consumerScope - `null` when entries are shared by all consumers; otherwise the
 *   consumer's name, or `""` for an anonymous caller.
 */
export function primaryKey(prefix: string, exchange: Exchange, consumerScope: string | null, varyHeaders: readonly string[]): string {
  const req = exchange.req;
  const url = exchange.url;
  const mark = url.indexOf("?");
  const path = mark < 0 ? url : url.slice(0, mark);
  const consumer = consumerScope === null ? "shared" : consumerScope === "" ? "anonymous" : `consumer=${consumerScope}`;
  const host = (req.headers.host ?? "").toLowerCase();
  return `${prefix}\n${consumer}\n${host}\n${path}\n${normalizedQuery(exchange.query)}${variantPart(varyHeaders, req.headers)}`;
}

/**
 * The key of one variant: the primary key plus the value of every header in `names` (the
 * upstream's `Vary`). Absent and empty headers are told apart.
 */
export function variantKey(primary: string, names: readonly string[], headers: IncomingHttpHeaders): string {
  return names.length === 0 ? primary : `${primary}\n--${variantPart(names, headers)}`;
}

function variantPart(names: readonly string[], headers: IncomingHttpHeaders): string {
  let part = "";
  for (const name of names) {
    const value = headers[name];
    if (value === undefined) part += `\n${name}!`;
    // Whitespace around list members is not significant (RFC 9111 §4.1 allows normalising it).
    else part += `\n${name}=${(Array.isArray(value) ? value.join(",") : value).split(",").map((member) => member.trim()).join(",")}`;
  }
  return part;
}

/**
 * The query with its parameters sorted by name (stably, so repeated names keep their order)
 * and re-encoded one way, so `?b=2&a=1` and `?a=1&b=%32` share an entry.
 */
export function normalizedQuery(query: string): string {
  if (query === "") return "";
  const params = new URLSearchParams(query);
  params.sort();
  return params.toString();
}

/**
 * The request header names a response's `Vary` lists, lower-cased, sorted and de-duplicated,
 * or `"*"` when it varies on something outside the request's headers (then it is not stored).
 */
export function parseVary(value: string | string[] | undefined): readonly string[] | "*" {
  if (value === undefined) return [];
  const names = new Set<string>();
  for (const member of (Array.isArray(value) ? value.join(",") : value).split(",")) {
    const name = member.trim().toLowerCase();
    if (name === "*") return "*";
    if (name !== "") names.add(name);
  }
  return [...names].sort();
}
