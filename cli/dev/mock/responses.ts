/**
 * An operation's responses as the mock sends them, worked out once when the mock starts:
 * for each declared response its headers and, per media type, the bytes of its default body
 * and of each named example.
 */
import { contentTypeOf, encodeBody, encodeHeaderValue, isJsonMediaType, isXmlMediaType } from "./encode";
import { type Json, asObject, resolve } from "./refs";
import { sampleResponseValue } from "./sample";

export interface MockMedia {
  /** The media type as the contract declares it (the key of `content`). */
  readonly type: string;
  readonly contentType: string;
  /** The media type's `example`, else its first `examples` entry, else a sample of its schema; null: no body. */
  readonly body: Buffer | null;
  /** The named `examples`, for `Prefer: example=<name>`. */
  readonly examples: ReadonlyMap<string, Buffer>;
}

export interface MockResponse {
  /** As declared: a status code, a range such as `4XX`, or `default`. */
  readonly status: string;
  /** The documented headers with their example or a sample, in the contract's order. */
  readonly headers: readonly (readonly [string, string])[];
  readonly media: readonly MockMedia[];
}

/** Headers a contract may document that the server itself must set (OpenAPI ignores `Content-Type` there too). */
const SERVER_HEADERS = new Set(["content-type", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "trailer", "te"]);

/**
 * The responses of the operation at `document.paths[path][method]`. `warn` hears about
 * values that could not be made (the response is then sent without them).
 */
export function compileResponses(document: Json, path: string, method: string, warn: (message: string) => void): MockResponse[] {
  const pathItem = resolve(document, asObject(document.paths)[path]);
  const operation = resolve(document, pathItem[method.toLowerCase()]);
  const where = `${method} ${path}`;
  return Object.entries(asObject(operation.responses)).map(([status, raw]) => {
    const response = resolve(document, raw);
    const headers: [string, string][] = [];
    for (const [name, rawHeader] of Object.entries(asObject(response.headers))) {
      if (SERVER_HEADERS.has(name.toLowerCase())) continue;
      const value = attempt(() => headerValue(document, resolve(document, rawHeader)), `${where} ${status} header ${name}`, warn);
      if (value !== undefined && value !== null) headers.push([name.toLowerCase(), value]);
    }
    const media = Object.entries(asObject(response.content)).map(([type, rawMedia]): MockMedia => {
      const content = resolve(document, rawMedia);
      const context = `${where} ${status} ${type}`;
      const examples = new Map<string, Buffer>();
      for (const [name, example] of namedExamples(document, content)) examples.set(name, encodeBody(example, type));
      const body = attempt(() => defaultBody(document, content, type, examples), context, warn) ?? null;
      return { type, contentType: contentTypeOf(type), body, examples };
    });
    return { status, headers, media };
  });
}

/** The default body of a media type: `example`, else the first named example, else a sample of the schema. */
function defaultBody(document: Json, content: Json, type: string, examples: ReadonlyMap<string, Buffer>): Buffer | null {
  if ("example" in content) return encodeBody(content.example, type);
  const first = examples.values().next();
  if (!first.done) return first.value;
  const schema = asObject(content.schema);
  if (Object.keys(schema).length === 0) return null;
  const xml = isXmlMediaType(type);
  return encodeBody(sampleResponseValue(schema, document, xml), xml ? "text/plain" : type);
}

/** `examples` entries with an inline `value` (`$ref`s into `components.examples` followed; `externalValue` is not fetched). */
function namedExamples(document: Json, owner: Json): [string, unknown][] {
  const result: [string, unknown][] = [];
  for (const [name, raw] of Object.entries(asObject(owner.examples))) {
    const example = resolve(document, raw);
    if ("value" in example) result.push([name, example.value]);
  }
  return result;
}

/** A header's `example`, else its first example, else a sample of its schema (or of its `content`'s). */
function headerValue(document: Json, header: Json): string | null {
  if ("example" in header) return encodeHeaderValue(header.example);
  const examples = namedExamples(document, header);
  if (examples.length > 0) return encodeHeaderValue(examples[0]![1]);
  if (header.schema !== undefined) return encodeHeaderValue(sampleResponseValue(asObject(header.schema), document));
  const first = Object.entries(asObject(header.content))[0];
  if (first === undefined) return null;
  const [type, raw] = first;
  const media = resolve(document, raw);
  const mediaExamples = namedExamples(document, media);
  const value = "example" in media ? media.example : mediaExamples.length > 0 ? mediaExamples[0]![1] : media.schema === undefined ? undefined : sampleResponseValue(asObject(media.schema), document);
  // A header described by `content` carries the value serialized as that media type says.
  return value === undefined ? null : encodeHeaderValue(isJsonMediaType(type) ? JSON.stringify(value) : value);
}

function attempt<T>(make: () => T, context: string, warn: (message: string) => void): T | undefined {
  try {
    return make();
  } catch (error) {
    warn(`${context}: ${(error as Error).message}`);
    return undefined;
  }
}
