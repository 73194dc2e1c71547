/**
 * The field errors of a 400 `request-validation` problem, and the problem itself. Errors say
 * where (location, parameter name, JSON pointer) and what the contract wants; they never
 * repeat what the client sent, so a huge or hostile value is not echoed back.
 */
import type { ErrorObject } from "ajv";
import { type Reply, problem } from "../../gateway-image/src/http/problem";

export type ErrorLocation = "path" | "query" | "header" | "body";

/** One field error, as listed in the problem's `errors`. */
export interface ValidationError {
  readonly in: ErrorLocation;
  /** The parameter (for path, query and header errors). */
  readonly name?: string;
  /** JSON pointer into the body, or into the parameter's value (`/0` for an array's first item); `""` for the whole. */
  readonly pointer: string;
  readonly message: string;
}

/** At most this many errors are listed: enough to fix a request, bounded for a hostile one. */
export const MAX_REPORTED_ERRORS = 10;
/** Names and pointers come from the client (unknown query names, body keys): cut to this length. */
const MAX_TEXT_LENGTH = 120;

export function clip(text: string): string {
  return text.length <= MAX_TEXT_LENGTH ? text : `${text.slice(0, MAX_TEXT_LENGTH)}…`;
}

export function escapePointerSegment(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

function unescapePointerSegment(segment: string): string {
  return segment.replace(/~1/g, "/").replace(/~0/g, "~");
}

/**
 * Ajv errors → field errors, appended to `into` up to the cap. `required` and
 * `additionalProperties` errors point at the member concerned (Ajv points at its parent).
 *
 * @param parameter for parameters: their name when the value itself was validated, or a map
 *   from the first pointer segment (the key a location's object holds it under) to the
 *   contract's name, the rest of the pointer being inside the value. Absent for bodies.
 */
export function collectAjvErrors(errors: readonly ErrorObject[] | null | undefined, location: ErrorLocation, into: ValidationError[], parameter?: string | ((key: string) => string)): void {
  if (!errors) return;
  for (const error of errors) {
    if (into.length >= MAX_REPORTED_ERRORS) return;
    let pointer = error.instancePath;
    let message = error.message ?? "is invalid";
    const params = error.params as Record<string, unknown>;
    if (error.keyword === "required" && typeof params.missingProperty === "string") {
      pointer = `${pointer}/${escapePointerSegment(params.missingProperty)}`;
      message = "is required";
    } else if (error.keyword === "additionalProperties" && typeof params.additionalProperty === "string") {
      pointer = `${pointer}/${escapePointerSegment(params.additionalProperty)}`;
      message = "is not allowed by the schema";
    } else if (error.keyword === "unevaluatedProperties" && typeof params.unevaluatedProperty === "string") {
      pointer = `${pointer}/${escapePointerSegment(params.unevaluatedProperty)}`;
      message = "is not allowed by the schema";
    }
    if (parameter === undefined) {
      into.push({ in: location, pointer: clip(pointer), message });
      continue;
    }
    if (typeof parameter === "string") {
      into.push({ in: location, name: clip(parameter), pointer: clip(pointer), message });
      continue;
    }
    // `/limit/0` → parameter "limit", pointer "/0" inside its value.
    const end = pointer.indexOf("/", 1);
    const key = unescapePointerSegment(end < 0 ? pointer.slice(1) : pointer.slice(1, end));
    into.push({ in: location, name: clip(parameter(key)), pointer: clip(end < 0 ? "" : pointer.slice(end)), message });
  }
}

/** Adds one error unless the cap is reached. */
export function pushError(into: ValidationError[], error: ValidationError): void {
  if (into.length < MAX_REPORTED_ERRORS) into.push(error);
}

/** The 400 answer: the first error in the detail, all (capped) in `errors`. */
export function validationProblem(errors: readonly ValidationError[], operationId: string): Reply {
  const first = errors[0]!;
  const where = first.in === "body" ? `body${first.pointer === "" ? "" : ` at ${first.pointer}`}` : `${first.in} parameter ${first.name ?? ""}${first.pointer}`;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? "s" : ""}${errors.length >= MAX_REPORTED_ERRORS ? ", possibly others not listed" : ""})` : "";
  return problem("request-validation", `the request does not match the contract of ${operationId}: ${where} ${first.message}${more}`, { extra: { errors } });
}
