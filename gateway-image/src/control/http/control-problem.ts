/**
 * Problem+json answers of the control API. The gateway's kinds come from `http/problem.ts`;
 * the few the data plane never needs (409 conflicts) are defined here with the same base URI,
 * so clients see one family of stable `type`s.
 */
import { type FieldError, isControlStoreError } from "../control-store";
import { PROBLEM_BASE, type ProblemKind, type Reply, problem } from "../../http/problem";

/** Kinds only the control API answers with. */
export const CONTROL_PROBLEMS = {
  conflict: { status: 409, title: "Conflict with the current state" },
  "invalid-transition": { status: 409, title: "Transition not allowed" },
} as const;

export type ControlProblemKind = keyof typeof CONTROL_PROBLEMS;

interface ProblemOptions {
  readonly headers?: Record<string, string | string[]>;
  /** Field errors, as the `errors` member. */
  readonly errors?: readonly FieldError[];
}

/** A problem+json reply of a gateway kind or a control-only kind. */
export function controlProblem(kind: ProblemKind | ControlProblemKind, detail: string, options: ProblemOptions = {}): Reply {
  const extra = options.errors === undefined ? undefined : { errors: options.errors };
  if (kind === "conflict" || kind === "invalid-transition") {
    const { status, title } = CONTROL_PROBLEMS[kind];
    const body = JSON.stringify({ type: `${PROBLEM_BASE}${kind}`, title, status, detail, ...extra });
    return { status, headers: { "content-type": "application/problem+json", ...options.headers }, body };
  }
  return problem(kind, detail, { headers: options.headers, extra });
}

/** A 400 listing every wrong field. */
export function fieldProblem(detail: string, errors: readonly FieldError[]): Reply {
  return controlProblem("bad-request", detail, { errors });
}

/**
 * Thrown by handlers and the request pipeline to answer with `reply` at once. It is the only
 * exception that is an answer; any other one is a bug or an outage (500/503).
 */
export class ControlHttpError extends Error {
  override readonly name = "ControlHttpError";

  constructor(readonly reply: Reply) {
    super(`control API answered ${reply.status}`);
  }
}

/** Throws a {@link ControlHttpError} of a problem. */
export function fail(kind: ProblemKind | ControlProblemKind, detail: string, options: ProblemOptions = {}): never {
  throw new ControlHttpError(controlProblem(kind, detail, options));
}

/**
 * The answer to a thrown error: its own reply, a store error mapped to its status, or `null`
 * for anything else (the caller logs it and answers 500 without details).
 */
export function knownErrorReply(error: unknown): Reply | null {
  if (error instanceof ControlHttpError) return error.reply;
  if (!isControlStoreError(error)) return null;
  const errors = error.fieldErrors.length === 0 ? undefined : error.fieldErrors;
  switch (error.code) {
    case "not-found":
      return controlProblem("not-found", error.message);
    case "conflict":
      return controlProblem("conflict", error.message, { errors });
    case "invalid-transition":
      return controlProblem("invalid-transition", error.message, { errors });
    case "invalid-input":
      return controlProblem("bad-request", error.message, { errors: error.fieldErrors });
    case "unavailable":
      return controlProblem("service-unavailable", "the control store is unavailable; try again shortly", { headers: { "retry-after": "5" } });
    case "schema-mismatch":
      return null;
  }
}
