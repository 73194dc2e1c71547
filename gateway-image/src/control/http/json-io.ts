/**
 * JSON in and out of the control API: request bodies read with a size limit and a required
 * media type, replies written with headers that keep secrets out of caches.
 */
import type { GatewayRequest, GatewayResponse } from "../../http/server/message-types";
import type { Reply } from "../../http/problem";
import { ControlHttpError, controlProblem, fail } from "./control-problem";

/** Largest request body the control API reads, bytes. Its documents are small; anything bigger is a mistake or an attack. */
export const MAX_BODY_BYTES = 64 * 1024;

/** `application/json` or any `+json` type, with parameters (e.g. `; charset=utf-8`). */
const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;.*)?$/i;

/** Whether the request carries a body at all (a length above zero, or chunked). */
function hasBody(req: GatewayRequest): boolean {
  const length = req.headers["content-length"];
  if (length !== undefined) return Number(length) > 0;
  return req.headers["transfer-encoding"] !== undefined;
}

/**
 * The parsed JSON body, or `undefined` when there is none. Fails with 415 for another media
 * type, 413 over `limit` bytes (checked against Content-Length before reading, and while
 * reading for chunked bodies) and 400 for malformed JSON.
 */
export async function readJsonBody(req: GatewayRequest, limit = MAX_BODY_BYTES): Promise<unknown> {
  if (!hasBody(req)) return undefined;
  const type = req.headers["content-type"];
  if (type === undefined || !JSON_MEDIA_TYPE.test(type)) fail("unsupported-media-type", "send the request body as application/json", { headers: { accept: "application/json" } });
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) fail("payload-too-large", `the request body is larger than ${limit} bytes`, { headers: { connection: "close" } });

  const text = await readText(req, limit);
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // The parser's message says where, without echoing much of the input.
    fail("bad-request", `the request body is not valid JSON: ${(error as Error).message.slice(0, 200)}`);
  }
}

/**
 * The body as text, at most `limit` bytes. Past the limit it stops reading and fails with 413
 * (`Connection: close`, so the unread rest goes with the connection). It does not destroy the
 * request: that would take the socket, and with it the 413, down too.
 */
function readText(req: GatewayRequest, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      cleanup();
      req.pause();
      try {
        fail("payload-too-large", `the request body is larger than ${limit} bytes`, { headers: { connection: "close" } });
      } catch (error) {
        reject(error);
      }
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks).toString("utf8"));
    };
    // The client went away mid-body: not a server failure, so not a 500 in the logs.
    const onError = () => {
      cleanup();
      reject(new ControlHttpError(controlProblem("bad-request", "the request body could not be read")));
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

/** A JSON reply. */
export function jsonReply(status: number, value: unknown, headers: Record<string, string | string[]> = {}): Reply {
  return { status, headers: { "content-type": "application/json; charset=utf-8", ...headers }, body: JSON.stringify(value) };
}

/** A reply without a body (204). */
export function noContent(headers: Record<string, string | string[]> = {}): Reply {
  return { status: 204, headers, body: "" };
}

/**
 * Writes a reply. Every control answer is `no-store`: some carry secrets shown once (API keys,
 * admin tokens, CSRF tokens), and none is worth caching.
 */
export function sendReply(res: GatewayResponse, reply: Reply, headOnly = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = headOnly || reply.status === 204 ? "" : reply.body;
  res.writeHead(reply.status, {
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...reply.headers,
    ...(reply.status === 204 ? {} : { "content-length": String(Buffer.byteLength(reply.body)) }),
  });
  res.end(body);
}
