/**
 * An example request per operation, from the contract: what the code samples send and what
 * the try-it forms are prefilled with. Values come from the contract's own examples (a
 * parameter's `example`/`examples`, a media type's `example`/`examples`) and, where it has
 * none, from a sample of the schema made by openapi-sampler (Redocly's), so the request is
 * one the gateway's request validation accepts whenever the contract's examples are valid.
 */
import { sample } from "openapi-sampler";
import type { Api, Operation } from "../constructs/manifest/schema";

type Json = Record<string, unknown>;

/** A parameter of the operation with the value the example sends. */
export interface ExampleParameter {
  readonly name: string;
  readonly in: "path" | "query" | "header";
  readonly required: boolean;
  /** Serialized as it goes on the wire (arrays comma-separated, objects as JSON). */
  readonly value: string;
  /** Whether `value` is the contract's example (true) or a sample of the schema (false). */
  readonly fromExample: boolean;
  readonly description: string | null;
}

export interface ExampleBody {
  readonly mediaType: string;
  readonly required: boolean;
  /** The body as text: JSON pretty-printed for JSON media types. */
  readonly text: string;
}

export interface RequestExample {
  readonly method: string;
  /** The route on the gateway (the API's base path + the contract path), `{name}` placeholders kept. */
  readonly route: string;
  /** Every path, query and header parameter (cookies are left to the developer's client). */
  readonly parameters: readonly ExampleParameter[];
  readonly body: ExampleBody | null;
}

/** Follows local `$ref`s (the manifest's contract is bundled: it has no other kind). */
function deref(document: Json, value: unknown, seen = new Set<string>()): unknown {
  const ref = asObject(value).$ref;
  if (typeof ref !== "string" || !ref.startsWith("#/") || seen.has(ref)) return value;
  seen.add(ref);
  let target: unknown = document;
  for (const segment of ref.slice(2).split("/")) target = asObject(target)[decodeURIComponent(segment).replace(/~1/g, "/").replace(/~0/g, "~")];
  return deref(document, target, seen);
}

function asObject(value: unknown): Json {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

/** The first example of an object with `example` or `examples` (a map of Example objects, or a JSON Schema list). */
function firstExample(document: Json, holder: Json): { found: boolean; value: unknown } {
  if ("example" in holder) return { found: true, value: holder.example };
  const examples = holder.examples;
  if (Array.isArray(examples)) return examples.length > 0 ? { found: true, value: examples[0] } : { found: false, value: undefined };
  for (const entry of Object.values(asObject(examples))) {
    const example = asObject(deref(document, entry));
    if ("value" in example) return { found: true, value: example.value };
  }
  return { found: false, value: undefined };
}

/** A value from a schema: its example, else openapi-sampler's sample (`null` when the sampler cannot make one). */
function sampled(document: Json, schema: unknown): unknown {
  if (schema === null || schema === undefined) return null;
  try {
    // enablePatterns: a sample matching the schema's `pattern` (deterministic), not "string".
    return sample(schema as Parameters<typeof sample>[0], { skipReadOnly: true, quiet: true, enablePatterns: true }, document);
  } catch {
    // A schema the sampler does not understand: the developer fills the value in.
    return null;
  }
}

function serialize(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map((item) => serialize(item)).join(",");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** The contract's operation object and its path item (for path-level parameters). */
function contractOperation(api: Api, operation: Operation): { pathItem: Json; operationObject: Json } {
  const document = api.contract.document;
  const pathItem = asObject(deref(document, asObject(document.paths)[operation.path]));
  return { pathItem, operationObject: asObject(pathItem[operation.method.toLowerCase()]) };
}

/** The raw parameter object (with its examples) for a manifest parameter: operation level wins over path level. */
function rawParameter(document: Json, pathItem: Json, operationObject: Json, name: string, location: string): Json {
  const candidates = [operationObject.parameters, pathItem.parameters].flatMap((list) => (Array.isArray(list) ? list : [])).map((entry) => asObject(deref(document, entry)));
  return candidates.find((candidate) => candidate.name === name && candidate.in === location) ?? {};
}

/** The media type a request body example uses: JSON first (`application/json`, then any `+json`), else the first declared. */
export function preferredMediaType(mediaTypes: readonly string[]): string | null {
  return mediaTypes.find((type) => type === "application/json") ?? mediaTypes.find((type) => /[/+]json$/.test(type)) ?? mediaTypes[0] ?? null;
}

export function isJsonMediaType(mediaType: string): boolean {
  return /^application\/(?:[\w.-]+\+)?json$/.test(mediaType);
}

/** The example request of an operation. */
export function requestExample(api: Api, operation: Operation): RequestExample {
  const document = api.contract.document;
  const { pathItem, operationObject } = contractOperation(api, operation);
  const parameters = operation.parameters.flatMap((parameter): ExampleParameter[] => {
    if (parameter.in === "cookie") return [];
    const rawObject = rawParameter(document, pathItem, operationObject, parameter.name, parameter.in);
    let example = firstExample(document, rawObject);
    if (!example.found && parameter.schema) example = firstExample(document, asObject(deref(document, parameter.schema)));
    const value = example.found ? example.value : sampled(document, parameter.schema);
    const description = typeof rawObject.description === "string" ? rawObject.description.trim() : null;
    return [{ name: parameter.name, in: parameter.in, required: parameter.required, value: serialize(value), fromExample: example.found, description }];
  });
  let body: ExampleBody | null = null;
  if (operation.requestBody !== null) {
    const mediaType = preferredMediaType(Object.keys(operation.requestBody.content));
    if (mediaType !== null) {
      const rawContent = asObject(asObject(asObject(deref(document, operationObject.requestBody)).content)[mediaType]);
      const example = firstExample(document, rawContent);
      const value = example.found ? example.value : sampled(document, operation.requestBody.content[mediaType]?.schema);
      const text = isJsonMediaType(mediaType) ? JSON.stringify(value ?? {}, null, 2) : typeof value === "string" ? value : serialize(value);
      body = { mediaType, required: operation.requestBody.required, text };
    }
  }
  return { method: operation.method, route: operation.route, parameters, body };
}

/** The route with its path parameters filled in (percent-encoded). */
export function fillPath(route: string, parameters: readonly ExampleParameter[]): string {
  const values = new Map(parameters.filter((parameter) => parameter.in === "path").map((parameter) => [parameter.name, parameter.value]));
  return route.replace(/\{([^}]+)\}/g, (whole, name: string) => (values.has(name) ? encodeURIComponent(values.get(name)!) : whole));
}
