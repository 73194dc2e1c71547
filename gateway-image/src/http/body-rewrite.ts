/**
 * Rewriting a whole response body (the masking policy's job): what a policy hands the core,
 * and what the core does around it. A response that is rewritten is held back until its body
 * has arrived (it cannot be streamed: a field to remove may be the last one), its content
 * coding is removed, the policies' rewrites run in order, and it goes out with a new length.
 * Anything that stops a rewrite (too large, a coding the gateway cannot decode, a body the
 * policy cannot read) answers 502: the body is never sent as it came.
 */
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from "node:zlib";
import type { HeaderMap } from "./exchange";

/** A policy's rewrite of the body of one upstream (or cached) answer. */
export interface BodyRewrite {
  /** Largest body it reads, in bytes, after its content coding is removed. */
  readonly maxBytes: number;
  /** The new body. Throws a BodyRewriteError when this body cannot be rewritten. */
  rewrite(body: Buffer): Buffer;
}

/** A body a rewrite cannot handle; the client gets a 502 with `message` as its detail. */
export class BodyRewriteError extends Error {}

/**
 * Headers that describe the bytes of the body as the upstream sent them, and so are wrong
 * once it is rewritten: its digests (RFC 9530, and the older Content-MD5/Digest) and its
 * byte ranges.
 */
const BYTE_DESCRIPTIONS = ["content-md5", "digest", "content-digest", "repr-digest", "accept-ranges", "content-range"] as const;

/**
 * Changes headers for a rewritten body: no content coding, the new length (or none, for a
 * HEAD, whose GET would be rewritten to a length not known here), a weak ETag. The ETag is
 * weakened rather than dropped, as nginx and Envoy do when they change a body: the upstream
 * still matches it for If-None-Match (weak comparison), but it no longer promises these
 * exact bytes, so If-Match (strong comparison) with it fails, which is right.
 */
export function rewrittenHeaders(headers: HeaderMap, length: number | null): void {
  for (const name of BYTE_DESCRIPTIONS) if (headers[name] !== undefined) delete headers[name];
  if (headers["content-encoding"] !== undefined) delete headers["content-encoding"];
  if (length === null) {
    if (headers["content-length"] !== undefined) delete headers["content-length"];
  } else headers["content-length"] = String(length);
  const etag = headers.etag;
  if (typeof etag === "string" && etag.startsWith('"')) headers.etag = `W/${etag}`;
}

/**
 * The body without its content coding (RFC 9110 §8.4): codings are undone last applied
 * first. gzip, deflate (zlib-wrapped, or raw as some servers send it) and br are decoded; a
 * decoded body over `maxBytes` is refused before it is all inflated (a small compressed body
 * can expand a thousandfold).
 */
export function decodeContentCoding(body: Buffer, contentEncoding: string | string[] | undefined, maxBytes: number): Buffer {
  if (contentEncoding === undefined) return body;
  const codings = (Array.isArray(contentEncoding) ? contentEncoding.join(",") : contentEncoding)
    .split(",")
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== "" && coding !== "identity");
  let decoded = body;
  for (let index = codings.length - 1; index >= 0; index--) {
    const coding = codings[index]!;
    const options = { maxOutputLength: maxBytes };
    try {
      if (coding === "gzip" || coding === "x-gzip") decoded = gunzipSync(decoded, options);
      else if (coding === "br") decoded = brotliDecompressSync(decoded, options);
      else if (coding === "deflate") decoded = inflateDeflate(decoded, maxBytes);
      else throw new BodyRewriteError(`the upstream's answer has the content coding "${coding}", which the gateway cannot decode to apply this operation's policies to it`);
    } catch (error) {
      if (error instanceof BodyRewriteError) throw error;
      if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw new BodyRewriteError(`the upstream's answer is larger than ${maxBytes} bytes once decoded, the most this operation's policies rewrite`);
      throw new BodyRewriteError(`the upstream's answer is not valid ${coding} data`);
    }
  }
  return decoded;
}

/** HTTP's "deflate" is zlib-wrapped (RFC 9110 §8.4.1.2), but some servers send raw deflate. */
function inflateDeflate(body: Buffer, maxBytes: number): Buffer {
  // A zlib header's first byte has compression method 8 in its low nibble.
  if (body.length > 0 && (body[0]! & 0x0f) === 8) return inflateSync(body, { maxOutputLength: maxBytes });
  return inflateRawSync(body, { maxOutputLength: maxBytes });
}
