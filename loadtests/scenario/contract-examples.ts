/**
 * Example values for a load test's requests, from the operation's contract: a parameter's
 * `example` (or first `examples` entry), else its schema's `example`, `default` or first `enum`
 * value, else a value generated from the schema with openapi-sampler (the sampler the dev mock
 * uses, deterministic). Request bodies likewise from the media type's `example`/`examples`,
 * else a sample of the schema without `readOnly` members.
 */
import { type Options, sample } from "openapi-sampler";
import { type Json, asObject, resolve } from "../../cli/dev/mock/refs";
import type { Api, Operation } from "../../constructs/manifest/schema";

const REQUEST_OPTIONS: Options = { skipReadOnly: true, skipWriteOnly: false, enablePatterns: true, quiet: true };

/** The operation object of the bundled contract (path-level parameters not merged). */
function operationObject(api: Api, operation: Operation): { pathItem: Json; operation: Json } {
  const document = api.contract.document as Json;
  const pathItem = resolve(document, asObject(document.paths)[operation.path]);
  return { pathItem, operation: resolve(document, pathItem[operation.method.toLowerCase()]) };
}

/** The first value of an `examples` map (OpenAPI Example Objects, possibly `$ref`s). */
function firstExample(document: Json, examples: unknown): unknown {
  const first = Object.values(asObject(examples))[0];
  if (first === undefined) return undefined;
  return resolve(document, first).value;
}

function schemaExample(document: Json, schemaValue: unknown): unknown {
  const schema = resolve(document, schemaValue);
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  return sample(schema as Parameters<typeof sample>[0], REQUEST_OPTIONS, document);
}

/** The example value of a parameter, looked up in the contract by name and location. */
export function parameterExample(api: Api, operation: Operation, name: string, location: string): unknown {
  const document = api.contract.document as Json;
  const objects = operationObject(api, operation);
  // Operation-level parameters override path-level ones with the same name and location.
  const declared = [...(Array.isArray(objects.operation.parameters) ? objects.operation.parameters : []), ...(Array.isArray(objects.pathItem.parameters) ? objects.pathItem.parameters : [])]
    .map((parameter) => resolve(document, parameter))
    .find((parameter) => parameter.name === name && parameter.in === location);
  if (!declared) return undefined;
  if (declared.example !== undefined) return declared.example;
  const named = firstExample(document, declared.examples);
  if (named !== undefined) return named;
  if (declared.schema !== undefined) return schemaExample(document, declared.schema);
  // A parameter described by `content` takes its media type's example.
  const media = Object.values(asObject(declared.content))[0];
  if (media === undefined) return undefined;
  const mediaObject = resolve(document, media);
  return mediaObject.example ?? firstExample(document, mediaObject.examples) ?? schemaExample(document, mediaObject.schema);
}

/** A request body ready to send. */
export interface ExampleBody {
  readonly contentType: string;
  /** The serialized body. */
  readonly body: string;
}

const isJson = (type: string) => type === "application/json" || /^application\/[^;]+\+json$/.test(type);
/** Media types the load test can serialize, most preferred first. */
const SERIALIZABLE = [isJson, (type: string) => type === "application/x-www-form-urlencoded", (type: string) => type.startsWith("text/")];

/** The body of a request to `operation`: the first serializable media type's example; null when the operation takes none or none can be serialized. */
export function requestBodyExample(api: Api, operation: Operation): ExampleBody | null {
  if (operation.requestBody === null) return null;
  const document = api.contract.document as Json;
  const content = asObject(resolve(document, operationObject(api, operation).operation.requestBody).content);
  const types = Object.keys(content);
  for (const accepts of SERIALIZABLE) {
    const type = types.find(accepts);
    if (type === undefined) continue;
    const media = resolve(document, content[type]);
    const value = media.example ?? firstExample(document, media.examples) ?? (media.schema === undefined ? undefined : schemaExample(document, media.schema));
    if (value === undefined) continue;
    return { contentType: type, body: serialize(type, value) };
  }
  return null;
}

function serialize(type: string, value: unknown): string {
  if (isJson(type)) return JSON.stringify(value);
  if (type === "application/x-www-form-urlencoded") {
    const form = new URLSearchParams();
    for (const [name, member] of Object.entries(asObject(value))) form.append(name, typeof member === "string" ? member : JSON.stringify(member));
    return form.toString();
  }
  return typeof value === "string" ? value : JSON.stringify(value);
}
