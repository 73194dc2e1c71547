/**
 * Node's own native HTTP/1 parser (llhttp behind the `HTTPParser` binding node:http runs on),
 * for the upstream client (`upstream/http1-pool.ts`) and the data-plane server
 * (`http/server/`). The binding is internal to Node: it is loaded defensively, and each use is
 * probed at load by parsing one canned message and checking every callback said what this code
 * expects. Where a probe fails, the caller falls back (undici, node:http).
 */

export interface ParserBinding {
  new (): NativeParser;
  REQUEST: number;
  RESPONSE: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kOnExecute: number;
  kLenientNone: number;
}

export interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | Error;
  finish(): number | Error | undefined;
  consume(handle: unknown): void;
  unconsume(): void;
  close(): void;
  /** Milliseconds since the current message's first byte; 0 between messages. */
  duration(): number;
  /** Whether the current message's header section is complete. */
  headersCompleted(): boolean;
  [callback: number]: unknown;
}

/** The binding with the method names its request callbacks number methods by. */
export interface ServerParserBinding {
  readonly Parser: ParserBinding;
  /** `methods[n]` is the name of method number `n` in kOnHeadersComplete. */
  readonly methods: readonly string[];
}

/**
 * Lets go of a connection's parser once its socket is gone: off the socket's handle (when it
 * read the handle directly), and freed once the parser's own stack has unwound (node:http does
 * the same).
 */
export function releaseParser(parser: NativeParser, consumed: boolean): void {
  if (consumed) {
    try {
      parser.unconsume();
    } catch {
      // never consumed (the connection failed first), or the handle is already gone
    }
  }
  setImmediate(() => parser.close());
}

const loaded = loadBinding();

/** The parser for responses (the upstream client), or null when this Node does not expose it as node:http 20–24 do. */
export const nativeParser: ParserBinding | null = loaded !== null && parsesResponse(loaded.Parser) ? loaded.Parser : null;

/** The parser for requests (the data-plane server), or null: node:http's server then. */
export const nativeServerParser: ServerParserBinding | null = loaded !== null && parsesRequest(loaded) ? loaded : null;

function loadBinding(): ServerParserBinding | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const common = require("node:_http_common") as { HTTPParser?: ParserBinding; methods?: string[] };
    const Parser = common.HTTPParser;
    if (typeof Parser !== "function" || !Array.isArray(common.methods)) return null;
    for (const key of ["kOnHeaders", "kOnHeadersComplete", "kOnBody", "kOnMessageComplete", "kOnExecute", "RESPONSE", "REQUEST"] as const) {
      if (typeof Parser[key] !== "number") return null;
    }
    const probe = new Parser() as unknown as Record<string, unknown>;
    for (const method of ["consume", "unconsume", "initialize", "execute", "finish", "close"]) {
      if (typeof probe[method] !== "function") return null;
    }
    return { Parser, methods: common.methods };
  } catch {
    return null;
  }
}

/** A parser of `type` that records what its callbacks report, the head as `describeHead` puts it. */
function recordingParser(Parser: ParserBinding, type: number, describeHead: (...args: never[]) => string): { parser: NativeParser; seen: () => string } {
  const parser = new Parser();
  parser.initialize(type, {}, 0, Parser.kLenientNone ?? 0);
  let seen = "";
  parser[Parser.kOnHeadersComplete] = (...args: never[]) => {
    seen += `${describeHead(...args)}|`;
    return 0;
  };
  parser[Parser.kOnBody] = (chunk: Buffer) => {
    seen += chunk.toString("latin1");
  };
  parser[Parser.kOnMessageComplete] = () => {
    seen += "|complete";
  };
  return { parser, seen: () => seen };
}

function parsesResponse(Parser: ParserBinding): boolean {
  try {
    const { parser, seen } = recordingParser(Parser, Parser.RESPONSE, (_major: number, _minor: number, headers: string[], _method: unknown, _url: unknown, status: number, _message: string, _upgrade: boolean, keepAlive: boolean) => `${status}|${headers.join(",")}|${keepAlive}`);
    const answer = Buffer.from("HTTP/1.1 201 Created\r\nX-Probe: 1\r\nContent-Length: 2\r\n\r\nok", "latin1");
    const result = parser.execute(answer);
    parser.close();
    return result === answer.length && seen() === "201|X-Probe,1,Content-Length,2|true|ok|complete";
  } catch {
    return false;
  }
}

/**
 * The server also relies on `duration()` and `headersCompleted()` (its timeouts are swept from
 * them rather than armed per request) and on the method table.
 */
function parsesRequest({ Parser, methods }: ServerParserBinding): boolean {
  try {
    const { parser, seen } = recordingParser(
      Parser,
      Parser.REQUEST,
      (major: number, minor: number, headers: string[], method: number, url: string, _status: unknown, _message: unknown, upgrade: boolean, keepAlive: boolean) =>
        `${major}.${minor}|${methods[method]}|${url}|${headers.join(",")}|${upgrade}|${keepAlive}|${parser.headersCompleted()}`,
    );
    if (typeof parser.duration !== "function" || typeof parser.headersCompleted !== "function") return false;
    const head = Buffer.from("POST /probe?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n", "latin1");
    const partial = parser.execute(head);
    const midway = parser.duration() >= 0 && parser.headersCompleted() === true;
    const rest = Buffer.from("okGET", "latin1");
    const result = parser.execute(rest);
    // "GET" began the next message and is waiting for more.
    const begun = parser.headersCompleted() === false;
    parser.close();
    return partial === head.length && midway && result === rest.length && begun && seen() === "1.1|POST|/probe?x=1|Host,h,Content-Length,2|false|true|true|ok|complete";
  } catch {
    return false;
  }
}
