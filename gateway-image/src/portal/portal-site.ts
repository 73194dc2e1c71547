/**
 * The developer portal's static files (`--portal-dir`, what `turnpike synth` writes to
 * dist/portal), served under `/_turnpike/portal/` beside the portal API
 * (`/_turnpike/portal/v1/…`, which stays the control plane's).
 *
 * GET and HEAD only; content types by extension; `index.html` for directories; a strong
 * ETag and 304s; `no-cache` for pages (always revalidated: a reload shows the new manifest),
 * a year for content-hashed assets; 404 problem+json for anything missing. The request path
 * is decoded once, refused when it has `.`/`..` segments, backslashes or NUL bytes, and the
 * resolved file must stay inside the directory (symbolic links included).
 */
import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import type { GatewayRequest, GatewayResponse } from "../http/server/message-types";
import { extname, resolve, sep } from "node:path";
import { problem } from "../http/problem";
import { copyHeaders } from "../http/exchange";
import { PORTAL_CONTENT_SECURITY_POLICY } from "../../../portal-site/content-security-policy";

/** Where the portal is served. */
export const PORTAL_SITE_PREFIX = "/_turnpike/portal/";
/** The portal API's prefix (the control plane's, never served from the directory). */
export const PORTAL_API_PREFIX = "/_turnpike/portal/v1";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".yaml": "application/yaml",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".ico": "image/x-icon",
  ".webp": "image/webp",
  ".woff2": "font/woff2",
};

/** `name.<12+ hex>.ext`: the generator names assets by their content hash, so they never change. */
const HASHED_ASSET = /\.[0-9a-f]{8,64}\.[a-z0-9]+$/;


/** The static site. `owns` tells the gateway which requests are its own. */
export class PortalSite {
  private readonly root: string;
  private realRoot: string | null = null;

  constructor(directory: string) {
    this.root = resolve(directory);
  }

  /** Whether the request (its raw target) is for the static portal: under the prefix, not the API. */
  owns(url: string): boolean {
    const query = url.indexOf("?");
    const path = query === -1 ? url : url.slice(0, query);
    if (path === "/_turnpike/portal") return true;
    if (!path.startsWith(PORTAL_SITE_PREFIX)) return false;
    return !(path === PORTAL_API_PREFIX || path.startsWith(`${PORTAL_API_PREFIX}/`));
  }

  /** Answers the request; never rejects. */
  handle(req: GatewayRequest, res: GatewayResponse): void {
    this.serve(req, res).catch(() => {
      if (!res.headersSent) send(res, req, problem("internal-error", "the portal file could not be read"));
      else res.destroy();
    });
  }

  private async serve(req: GatewayRequest, res: GatewayResponse): Promise<void> {
    const url = req.url ?? "/";
    const query = url.indexOf("?");
    const rawPath = query === -1 ? url : url.slice(0, query);
    const search = query === -1 ? "" : url.slice(query);
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(res, req, problem("method-not-allowed", "the portal's pages are read with GET or HEAD", { headers: { allow: "GET, HEAD" } }));
      return;
    }
    // The prefix without its slash: the pages' relative links need the directory URL.
    if (rawPath === "/_turnpike/portal") {
      res.writeHead(308, { location: `${PORTAL_SITE_PREFIX}${search}`, "content-length": "0" }).end();
      return;
    }
    let relative: string;
    try {
      relative = decodeURIComponent(rawPath.slice(PORTAL_SITE_PREFIX.length));
    } catch {
      send(res, req, problem("bad-request", "the path is not valid percent-encoding"));
      return;
    }
    const segments = relative.split("/");
    const last = segments.length - 1;
    // `.`/`..` anywhere (decoded or not), backslashes (a separator on Windows) and NUL are refused
    // outright rather than normalized: no portal link ever has them.
    if (relative.includes("\\") || relative.includes("\0") || segments.some((segment, index) => segment === "." || segment === ".." || (segment === "" && index !== last))) {
      send(res, req, problem("bad-request", "the path is not a plain path of the portal"));
      return;
    }
    // Hidden files (e.g. a write's temporary file, an editor's swap file) are not the site's.
    if (segments.some((segment) => segment.startsWith(".")) || segments.some((segment) => segment.endsWith(".tmp"))) {
      send(res, req, notFound());
      return;
    }
    let file = resolve(this.root, ...segments);
    if (file !== this.root && !file.startsWith(this.root + sep)) {
      send(res, req, problem("bad-request", "the path is not a plain path of the portal"));
      return;
    }
    let info = await stat(file).catch(() => null);
    if (info?.isDirectory()) {
      if (!rawPath.endsWith("/")) {
        res.writeHead(308, { location: `${rawPath}/${search}`, "content-length": "0" }).end();
        return;
      }
      file = resolve(file, "index.html");
      info = await stat(file).catch(() => null);
    }
    if (info === null || !info.isFile()) {
      send(res, req, notFound());
      return;
    }
    // A symbolic link inside the directory must not lead out of it.
    this.realRoot ??= await realpath(this.root).catch(() => null);
    const real = await realpath(file).catch(() => null);
    if (this.realRoot === null || real === null || !real.startsWith(this.realRoot + sep)) {
      send(res, req, notFound());
      return;
    }
    const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    const extension = extname(file).toLowerCase();
    const headers: Record<string, string> = {
      "content-type": CONTENT_TYPES[extension] ?? "application/octet-stream",
      etag,
      "last-modified": info.mtime.toUTCString(),
      "cache-control": HASHED_ASSET.test(file) ? "public, max-age=31536000, immutable" : "no-cache",
      "x-content-type-options": "nosniff",
      "referrer-policy": "same-origin",
    };
    if (extension === ".html") {
      headers["content-security-policy"] = PORTAL_CONTENT_SECURITY_POLICY;
      headers["x-frame-options"] = "DENY";
    }
    if (matchesEtag(req.headers["if-none-match"], etag)) {
      // A 304 repeats the validators and caching headers, not the representation's.
      res.writeHead(304, { etag, "cache-control": headers["cache-control"]!, "last-modified": headers["last-modified"]! }).end();
      return;
    }
    headers["content-length"] = String(info.size);
    res.writeHead(200, headers);
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    sendFile(createReadStream(file), res);
  }
}

/** Streams a file into the response, with backpressure (the response is not a Writable to pipe into). */
function sendFile(stream: Readable, res: GatewayResponse): void {
  const stop = () => stream.destroy();
  stream.on("data", (chunk: Buffer) => {
    if (!res.write(chunk)) {
      stream.pause();
      res.once("drain", () => stream.resume());
    }
  });
  stream.on("end", () => {
    res.off("close", stop);
    res.end();
  });
  stream.on("error", () => res.destroy());
  // The client went away: stop reading the file.
  res.once("close", stop);
}

function notFound() {
  return problem("not-found", "no such page in the portal");
}

function send(res: GatewayResponse, req: GatewayRequest, reply: { status: number; headers: Record<string, string | string[]>; body: string }): void {
  const headers = copyHeaders(reply.headers);
  headers["content-length"] = String(Buffer.byteLength(reply.body));
  headers["cache-control"] = "no-store";
  res.writeHead(reply.status, headers as Record<string, string | string[]>);
  res.end(req.method === "HEAD" ? undefined : reply.body);
}

/** RFC 9110 If-None-Match: `*` or a list of (possibly weak) tags, compared weakly. */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag);
}

