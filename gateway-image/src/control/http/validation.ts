/**
 * Input validation of the control API: zod schemas for bodies and query strings, and their
 * failures as a 400 problem listing every wrong field (`errors: [{field, message}]`).
 */
import { z } from "zod";
import type { FieldError } from "../control-store";
import { ControlHttpError, fieldProblem } from "./control-problem";

/** Which part of the request a schema checks, for the problem's detail. */
export type InputPart = "body" | "query";

/** Field errors of a zod failure; unknown keys become one error per key, named by the key. */
export function fieldErrorsOf(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue): FieldError[] => {
    const base = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") return issue.keys.map((key) => ({ field: base === "" ? key : `${base}.${key}`, message: "unknown field" }));
    return [{ field: base === "" ? "(root)" : base, message: issue.message }];
  });
}

/** The parsed value, or a {@link ControlHttpError} (400) naming every wrong field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, part: InputPart): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = fieldErrorsOf(result.error);
  throw new ControlHttpError(fieldProblem(`the request ${part} is not valid: ${errors.map((e) => `${e.field}: ${e.message}`).join("; ")}`, errors));
}

/** A query string as an object; a parameter given twice is an error (which one would win is a guess). */
export function queryRecord(search: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  const repeated: FieldError[] = [];
  for (const [key, value] of search) {
    if (Object.hasOwn(out, key)) repeated.push({ field: key, message: "given more than once" });
    out[key] = value;
  }
  if (repeated.length > 0) throw new ControlHttpError(fieldProblem("a query parameter is repeated", repeated));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Schemas shared by the admin and portal APIs
// ---------------------------------------------------------------------------------------------

/** `limit` and `cursor` of a paged listing. */
export const pageQuery = {
  limit: z.coerce.number().int("a whole number").min(1).max(500).optional(),
  cursor: z.string().min(1).max(200).optional(),
};

/** A day, `YYYY-MM-DD`. */
export const daySchema = z.iso.date("a day as YYYY-MM-DD");

/** An ISO 8601 time with an offset, e.g. `2030-01-31T00:00:00Z`. */
export const isoTimeSchema = z.iso.datetime({ offset: true, message: "an ISO 8601 date and time, e.g. 2030-01-31T00:00:00Z" });

/** `?from&to` of a usage report (both optional; the report picks the last 30 days). */
export const usageQuery = z.strictObject({ from: daySchema.optional(), to: daySchema.optional() });

/** Body of an action that only takes an optional reason (approve, revoke, …). */
export const reasonBody = z.strictObject({ reason: z.string().trim().min(1, "must not be empty").max(500).optional() });

/** A human-readable name of an app. */
export const appNameSchema = z.string().trim().min(1, "must not be empty").max(200);

export const appDescriptionSchema = z.string().max(2000);

/** A manifest slug (product and plan names). */
export const slugInput = z.string().min(1, "must not be empty").max(63);

/** Body of a key creation. */
export const newKeyBody = z.strictObject({ label: z.string().max(200).optional(), expiresAt: isoTimeSchema.nullable().optional() });
