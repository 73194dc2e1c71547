/**
 * One operation of the contract → one check function, built when the manifest is loaded:
 * every schema compiled by Ajv, every parameter's reader chosen by its style. Per request the
 * check reads the parameters, calls the precompiled validators and, only when the body has
 * to be looked at, buffers it (within the route's limit) and parses it.
 *
 * Order: parameters (path, query, header) and the body's presence first; then the media type
 * (415); then the body. A request with bad parameters is answered before its body is read.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { ValidateFunction } from "ajv";
import type { z } from "zod";
import type { Operation, Parameter } from "../../constructs/manifest/schema";
import type { StepResult } from "../../gateway-image/src/chain/policy-handler";
import { BodyTooLargeError } from "../../gateway-image/src/http/exchange";
import { type Reply, problem } from "../../gateway-image/src/http/problem";
import { type Coerce, coercerFor, propertySchemas, typesOf } from "./coercion";
import type { ContractSchemas } from "./contract-schemas";
import { FORM_MEDIA_TYPE, type MediaTypeMatcher, essenceOf, isJsonMediaType, mediaTypeMatcher } from "./media-types";
import { type ParameterSpec, type QueryReader, type Shape, type StringReader, queryReader, stringReader } from "./parameter-styles";
import type { requestValidationPolicy } from "./schema";
import type { AjvProvider } from "./validator-ajv";
import { type ValidationError, clip, collectAjvErrors, pushError, validationProblem } from "./validation-errors";

export type RequestValidationConfig = z.output<typeof requestValidationPolicy.config>;

/** What a check reads of a request; the gateway's Exchange is one. */
export interface ValidatedRequest {
  readonly req: { readonly method?: string | undefined; readonly headers: IncomingHttpHeaders };
  /** Path parameters by contract name, decoded. */
  readonly params: Readonly<Record<string, string | undefined>>;
  /** Query string without `?`, `""` when none. */
  readonly query: string;
  readonly searchParams: URLSearchParams;
  readonly route: { readonly maxBufferedBodyBytes: number };
  readBody(maxBytes: number): Promise<Buffer>;
}

export type OperationCheck = (request: ValidatedRequest) => StepResult;

export interface CompileEnvironment {
  readonly config: RequestValidationConfig;
  readonly ajv: AjvProvider;
  /** The schemas of the operation's API. */
  readonly schemas: ContractSchemas;
  /** Query parameters the contract's parameters do not list but the chain reads (API keys sent in the query). */
  readonly extraQueryNames: readonly string[];
}

export interface CompiledOperation {
  readonly check: OperationCheck;
  /** Parts that could not be compiled or resolved, and so are not validated. Empty when all is enforced. */
  readonly problems: readonly string[];
}

/**
 * Per the OpenAPI specification, header parameters with these names are ignored: the
 * request's media type, the accepted types and credentials are described elsewhere.
 */
const IGNORED_HEADERS = new Set(["accept", "content-type", "authorization"]);

export function compileOperation(operation: Operation, env: CompileEnvironment): CompiledOperation {
  const problems: string[] = [];
  const steps: ((request: ValidatedRequest, errors: ValidationError[]) => void)[] = [];
  const { config } = env;
  const parameters = operation.parameters;
  if (config.path) addStep(steps, compileStringLocation("path", parameters, env, problems));
  if (config.query) addStep(steps, compileQuery(parameters, env, problems));
  if (config.headers) addStep(steps, compileStringLocation("header", parameters, env, problems));
  const body = config.body && operation.requestBody !== null ? compileBody(operation.requestBody, env, problems) : null;
  const operationId = operation.operationId;
  const method = operation.method;

  const check: OperationCheck = (request) => {
    const errors: ValidationError[] = [];
    for (let index = 0; index < steps.length; index++) steps[index]!(request, errors);
    const headers = request.req.headers;
    const bodySent = body !== null && hasBody(headers);
    if (body !== null && !bodySent && body.required) pushError(errors, { in: "body", pointer: "", message: "is required" });
    if (errors.length > 0) return validationProblem(errors, operationId);
    if (!bodySent) return undefined;
    return checkBody(body!, request, headers, operationId, method);
  };
  return { check, problems: [...problems, ...env.schemas.takeProblems()] };
}

function addStep<T>(steps: T[], step: T | null): void {
  if (step !== null) steps.push(step);
}

// ---------------------------------------------------------------------------------------------
// Parameters

/** A location's parameters validated together: one object, one Ajv call. */
interface LocationValidator {
  readonly validate: ValidateFunction | null;
  readonly nameOf: (key: string) => string;
  /** Parameters serialized as JSON (`content: application/json`), parsed then validated exactly. */
  readonly jsonParameters: readonly JsonParameter[];
}

interface JsonParameter {
  readonly key: string;
  readonly name: string;
  readonly validate: ValidateFunction;
}

interface PreparedParameter {
  readonly parameter: Parameter;
  /** Key in the validated object: the name, lower-case for headers. */
  readonly key: string;
  readonly spec: ParameterSpec;
  /** JSON-encoded (`content` with a JSON media type). */
  readonly json: boolean;
  /** Strings → the schema's types. */
  readonly coerce: Coerce;
}

function prepareParameters(location: Parameter["in"], parameters: readonly Parameter[], env: CompileEnvironment): { prepared: PreparedParameter[]; schemas: Map<string, Record<string, unknown> | boolean> } {
  const prepared: PreparedParameter[] = [];
  const schemas = new Map<string, Record<string, unknown> | boolean>();
  for (const parameter of parameters) {
    if (parameter.in !== location) continue;
    const key = location === "header" ? parameter.name.toLowerCase() : parameter.name;
    if (location === "header" && IGNORED_HEADERS.has(key)) continue;
    const schema = env.schemas.prepare(parameter.schema);
    schemas.set(key, schema);
    const json = parameter.mediaType !== null && isJsonMediaType(essenceOf(parameter.mediaType));
    // A parameter described by `content` is one string (JSON, or another media type) as a whole.
    const serialized = parameter.mediaType !== null;
    const { shape, properties } = serialized ? { shape: "primitive" as Shape, properties: undefined } : shapeOf(schema, env.schemas);
    const coerce = serialized ? (raw: unknown) => raw : coercerFor(schema, env.schemas);
    prepared.push({ parameter, key, json, coerce, spec: { name: parameter.name, style: parameter.style, explode: parameter.explode, shape, properties } });
  }
  return { prepared, schemas };
}

/** Compiles the object schema of one location: `{ properties: { [key]: schema }, required }`. */
function compileLocation(location: Parameter["in"], prepared: readonly PreparedParameter[], schemas: ReadonlyMap<string, Record<string, unknown> | boolean>, env: CompileEnvironment, problems: string[]): LocationValidator {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  const names = new Map<string, string>();
  const jsonParameters: JsonParameter[] = [];
  for (const { parameter, key, json } of prepared) {
    names.set(key, parameter.name);
    if (parameter.required) required.push(key);
    if (!json) {
      properties[key] = schemas.get(key)!;
      continue;
    }
    // Presence is still checked in the object; the value is checked after JSON.parse.
    properties[key] = {};
    const validate = compileSchema(schemas.get(key)!, env, problems, `${location} parameter ${parameter.name}`, true);
    if (validate !== null) jsonParameters.push({ key, name: parameter.name, validate });
  }
  // All errors at once: a parameter's value is bounded by the URL or header size.
  const validate = prepared.length === 0 ? null : compileSchema({ type: "object", properties, required }, env, problems, `${location} parameters`, true);
  return { validate, nameOf: (key) => names.get(key) ?? key, jsonParameters };
}

/** Path and header parameters: one string each, split by style. */
function compileStringLocation(location: "path" | "header", parameters: readonly Parameter[], env: CompileEnvironment, problems: string[]): ((request: ValidatedRequest, errors: ValidationError[]) => void) | null {
  const { prepared, schemas } = prepareParameters(location, parameters, env);
  if (prepared.length === 0) return null;
  const validator = compileLocation(location, prepared, schemas, env, problems);
  const readers: { key: string; read: StringReader; coerce: Coerce }[] = prepared.map(({ key, spec, coerce }) => ({ key, read: stringReader(spec), coerce }));
  const raw = location === "path" ? (request: ValidatedRequest, key: string) => request.params[key] : (request: ValidatedRequest, key: string) => headerValue(request.req.headers[key]);
  return (request, errors) => {
    const data: Record<string, unknown> = {};
    for (let index = 0; index < readers.length; index++) {
      const reader = readers[index]!;
      const value = raw(request, reader.key);
      if (value !== undefined) data[reader.key] = reader.coerce(reader.read(value));
    }
    runLocation(validator, location, data, errors);
  };
}

function compileQuery(parameters: readonly Parameter[], env: CompileEnvironment, problems: string[]): ((request: ValidatedRequest, errors: ValidationError[]) => void) | null {
  const { prepared, schemas } = prepareParameters("query", parameters, env);
  const rejectUnknown = env.config.rejectUnknownQueryParameters;
  if (prepared.length === 0 && !rejectUnknown) return null;
  const validator = compileLocation("query", prepared, schemas, env, problems);
  const declared = new Set([...prepared.map((entry) => entry.key), ...env.extraQueryNames]);
  const readers: { key: string; read: QueryReader; coerce: Coerce }[] = prepared.map(({ key, spec, coerce }) => ({ key, read: queryReader(spec, declared), coerce }));
  const anyRequired = prepared.some((entry) => entry.parameter.required);

  // What counts as declared when unknown parameters are rejected: names, properties of
  // exploded form objects (each its own parameter), `name[` prefixes of deepObject ones.
  const known = new Set(declared);
  const prefixes: string[] = [];
  let acceptsAny = false;
  for (const { spec } of prepared) {
    if (spec.style === "deepObject") prefixes.push(`${spec.name}[`);
    else if (spec.shape === "object" && spec.explode && spec.style === "form") {
      if (spec.properties === undefined || spec.properties.length === 0) acceptsAny = true;
      else for (const property of spec.properties) known.add(property);
    }
  }
  const checkUnknown = rejectUnknown && !acceptsAny;

  return (request, errors) => {
    if (request.query === "") {
      if (anyRequired) runLocation(validator, "query", {}, errors);
      return;
    }
    const search = request.searchParams;
    const data: Record<string, unknown> = {};
    for (let index = 0; index < readers.length; index++) {
      const reader = readers[index]!;
      const value = reader.read(search);
      if (value !== undefined) data[reader.key] = reader.coerce(value);
    }
    runLocation(validator, "query", data, errors);
    if (!checkUnknown) return;
    let reported: Set<string> | undefined;
    for (const key of search.keys()) {
      if (known.has(key) || startsWithAny(key, prefixes) || reported?.has(key)) continue;
      (reported ??= new Set()).add(key);
      pushError(errors, { in: "query", name: clip(key), pointer: "", message: "is not a parameter of this operation" });
    }
  };
}

function runLocation(validator: LocationValidator, location: "path" | "query" | "header", data: Record<string, unknown>, errors: ValidationError[]): void {
  if (validator.validate !== null && !validator.validate(data)) collectAjvErrors(validator.validate.errors, location, errors, validator.nameOf);
  for (const parameter of validator.jsonParameters) {
    const value = data[parameter.key];
    if (typeof value !== "string") continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      pushError(errors, { in: location, name: parameter.name, pointer: "", message: "is not valid JSON" });
      continue;
    }
    if (!parameter.validate(parsed)) collectAjvErrors(parameter.validate.errors, location, errors, parameter.name);
  }
}

/** How a parameter's schema is serialized (array, object or one value), and for objects the properties it names. */
function shapeOf(schema: Record<string, unknown> | boolean, schemas: ContractSchemas): { shape: Shape; properties?: readonly string[] } {
  const types = typesOf(schema, schemas, 0);
  if (types.has("array")) return { shape: "array" };
  if (types.has("object")) return { shape: "object", properties: [...propertySchemas(schema, schemas, 0).keys()] };
  return { shape: "primitive" };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(", ") : value;
}

function startsWithAny(key: string, prefixes: readonly string[]): boolean {
  for (let index = 0; index < prefixes.length; index++) if (key.startsWith(prefixes[index]!)) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// Body

interface BodyValidator {
  readonly required: boolean;
  readonly matcher: MediaTypeMatcher;
  /** By declared media type key: the schema's validator (null: not validated) and the converter of form fields. */
  readonly byMediaType: ReadonlyMap<string, MediaTypeValidator>;
  /** `Accept-Post`/`Accept-Patch` value for the 415 answer. */
  readonly accepted: string;
}

interface MediaTypeValidator {
  /** Stops at the first error: cheap whatever the body's size. */
  readonly validate: ValidateFunction | null;
  /** Collects every error: run again on invalid bodies up to {@link ALL_ERRORS_MAX_BODY_BYTES}. */
  readonly validateAll: ValidateFunction | null;
  readonly coerceForm: Coerce;
}

/** Bodies up to this size get every error listed; larger invalid ones get the first. */
export const ALL_ERRORS_MAX_BODY_BYTES = 64 * 1024;

function compileBody(requestBody: NonNullable<Operation["requestBody"]>, env: CompileEnvironment, problems: string[]): BodyValidator {
  const byMediaType = new Map<string, MediaTypeValidator>();
  const declared = Object.keys(requestBody.content);
  for (const key of declared) {
    const raw = requestBody.content[key]!.schema;
    const essence = essenceOf(key);
    // Only JSON and form bodies are parsed; a range (`*/*`, `application/*`) may select either.
    const parsed = isJsonMediaType(essence) || essence === FORM_MEDIA_TYPE || essence.includes("*");
    if (raw === null || !parsed) {
      byMediaType.set(key, { validate: null, validateAll: null, coerceForm: (value) => value });
      continue;
    }
    const schema = env.schemas.prepare(raw);
    const validate = compileSchema(schema, env, problems, `body (${key})`, false);
    const validateAll = validate === null ? null : compileSchema(schema, env, problems, `body (${key})`, true);
    byMediaType.set(key, { validate, validateAll, coerceForm: coercerFor(schema, env.schemas) });
  }
  return { required: requestBody.required, matcher: mediaTypeMatcher(declared), byMediaType, accepted: declared.join(", ") };
}

/** Content-Length or Transfer-Encoding announce a body (RFC 9112 §6.1). */
function hasBody(headers: IncomingHttpHeaders): boolean {
  const length = headers["content-length"];
  return headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

function checkBody(body: BodyValidator, request: ValidatedRequest, headers: IncomingHttpHeaders, operationId: string, method: string): StepResult {
  // RFC 9110 §8.3: without Content-Type, a recipient may assume application/octet-stream.
  const contentType = headers["content-type"] ?? "application/octet-stream";
  const declared = body.matcher.match(contentType);
  if (declared === undefined) {
    const essence = clip(essenceOf(contentType));
    const detail = headers["content-type"] === undefined ? `the request has a body but no Content-Type; ${operationId} accepts ${body.accepted}` : `${operationId} accepts ${body.accepted}, not ${essence}`;
    return unsupported(detail, body, method, {});
  }
  const essence = essenceOf(contentType);
  const { validate, validateAll, coerceForm } = body.byMediaType.get(declared)!;
  const json = isJsonMediaType(essence);
  // Nothing to validate in the body (no schema, or a media type not parsed here, such as
  // multipart or binary): it streams to the upstream unbuffered.
  if (validate === null || (!json && essence !== FORM_MEDIA_TYPE)) return undefined;
  const coding = headers["content-encoding"];
  if (coding !== undefined && coding.trim().toLowerCase() !== "identity") {
    // RFC 9110 §15.5.16: a 415 for a content coding names the codings accepted.
    return unsupported(`the body is sent with Content-Encoding ${clip(coding)}; to validate it the gateway accepts it unencoded`, body, method, { "accept-encoding": "identity" });
  }
  // The route's limit (its requestSizeLimit, else the gateway's buffering limit); the body
  // stays in exchange.body and is what the upstream receives.
  const maxBytes = request.route.maxBufferedBodyBytes;
  return request.readBody(maxBytes).then(
    (buffer) => {
      if (buffer.length === 0) return body.required ? validationProblem([{ in: "body", pointer: "", message: "is required" }], operationId) : undefined;
      const errors: ValidationError[] = [];
      const data = json ? parseJson(buffer, errors) : coerceForm(parseForm(buffer));
      if (errors.length === 0) validateBody(data, buffer.length, validate, validateAll, errors);
      return errors.length > 0 ? validationProblem(errors, operationId) : undefined;
    },
    (error: unknown) => {
      if (error instanceof BodyTooLargeError) return problem("payload-too-large", `the request body is larger than ${maxBytes} bytes`);
      throw error;
    },
  );
}

/** Validates parsed body data, fail-fast first; every error only for small bodies. */
function validateBody(data: unknown, size: number, validate: ValidateFunction, validateAll: ValidateFunction | null, errors: ValidationError[]): void {
  try {
    if (validate(data)) return;
    const all = validateAll !== null && size <= ALL_ERRORS_MAX_BODY_BYTES && !validateAll(data);
    collectAjvErrors(all ? validateAll.errors : validate.errors, "body", errors);
  } catch (error) {
    // A recursive schema follows the data down: a body nested deeper than the stack allows
    // is the client's problem, not the gateway's.
    if (!(error instanceof RangeError)) throw error;
    errors.push({ in: "body", pointer: "", message: "is nested too deeply to validate" });
  }
}

function unsupported(detail: string, body: BodyValidator, method: string, headers: Record<string, string>): Reply {
  if (method === "POST") headers["accept-post"] = body.accepted;
  else if (method === "PATCH") headers["accept-patch"] = body.accepted;
  return problem("unsupported-media-type", detail, { headers, extra: { accepted: body.matcher.accepted } });
}

/** One decoder for all requests: `fatal` makes invalid UTF-8 an error instead of U+FFFD. */
const UTF8 = new TextDecoder("utf-8", { fatal: true });

function parseJson(buffer: Buffer, errors: ValidationError[]): unknown {
  let text: string;
  try {
    text = UTF8.decode(buffer);
  } catch {
    errors.push({ in: "body", pointer: "", message: "is not valid UTF-8" });
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    // The parser's message quotes the body; the client gets none of it back.
    errors.push({ in: "body", pointer: "", message: "is not valid JSON" });
    return undefined;
  }
}

/** A form body → an object; a name sent more than once becomes a list. */
function parseForm(buffer: Buffer): Record<string, string | string[]> {
  const data = Object.create(null) as Record<string, string | string[]>;
  for (const [name, value] of new URLSearchParams(buffer.toString("utf8"))) {
    const existing = data[name];
    if (existing === undefined) data[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else data[name] = [existing, value];
  }
  return data;
}

/**
 * Compiles a schema, or records why it cannot be (that part is then not validated). A schema
 * whose patterns are only valid as legacy regular expressions is compiled that way.
 */
function compileSchema(schema: Record<string, unknown> | boolean, env: CompileEnvironment, problems: string[], what: string, allErrors: boolean): ValidateFunction | null {
  try {
    return compileWith(env, schema, { allErrors, legacyPatterns: false });
  } catch (error) {
    if (/Invalid regular expression/.test((error as Error).message)) {
      try {
        return compileWith(env, schema, { allErrors, legacyPatterns: true });
      } catch {
        // Reported below with the first error.
      }
    }
    problems.push(`${what}: ${(error as Error).message}`);
    return null;
  }
}

function compileWith(env: CompileEnvironment, schema: Record<string, unknown> | boolean, variant: Parameters<AjvProvider>[0]): ValidateFunction {
  const ajv = env.ajv(variant);
  env.schemas.install(ajv);
  return ajv.compile(schema);
}
