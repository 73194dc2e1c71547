/**
 * Errors to clients: RFC 9457 `application/problem+json` with a stable `type` URI per kind.
 * Internals (stack traces, upstream addresses, upstream bodies) never go into a problem.
 */

export const PROBLEM_BASE = "https://turnpike.dev/problems/";

/** Kinds of problems the gateway answers with, their status and title. */
export const PROBLEMS = {
  "bad-request": { status: 400, title: "Bad request" },
  "request-validation": { status: 400, title: "Request does not match the API contract" },
  "threat-detected": { status: 400, title: "Request rejected by threat protection" },
  unauthorized: { status: 401, title: "Authentication required" },
  forbidden: { status: 403, title: "Forbidden" },
  "not-found": { status: 404, title: "Not found" },
  "method-not-allowed": { status: 405, title: "Method not allowed" },
  gone: { status: 410, title: "This API version is retired" },
  "request-timeout": { status: 408, title: "Request timeout" },
  "payload-too-large": { status: 413, title: "Request body too large" },
  "unsupported-media-type": { status: 415, title: "Unsupported media type" },
  "headers-too-large": { status: 431, title: "Request header fields too large" },
  "rate-limited": { status: 429, title: "Too many requests" },
  "quota-exceeded": { status: 429, title: "Quota exceeded" },
  "internal-error": { status: 500, title: "Internal gateway error" },
  "bad-gateway": { status: 502, title: "Upstream unavailable" },
  "unrewritable-response": { status: 502, title: "Upstream response cannot be passed on" },
  "service-unavailable": { status: 503, title: "Service unavailable" },
  "gateway-timeout": { status: 504, title: "Upstream timed out" },
} as const;

export type ProblemKind = keyof typeof PROBLEMS;

/** A response the gateway sends itself instead of proxying. */
export interface Reply {
  readonly status: number;
  /** The problem kind, for metrics; absent for non-problem replies. */
  readonly kind?: ProblemKind;
  readonly headers: Record<string, string | string[]>;
  readonly body: string;
}

/** A problem+json reply. `extra` members are added to the body (e.g. validation `errors`). */
export function problem(kind: ProblemKind, detail: string, options: { instance?: string; headers?: Record<string, string | string[]>; extra?: Record<string, unknown> } = {}): Reply {
  const { status, title } = PROBLEMS[kind];
  const body = JSON.stringify({ type: `${PROBLEM_BASE}${kind}`, title, status, detail, ...(options.instance ? { instance: options.instance } : {}), ...options.extra });
  return { status, kind, headers: { "content-type": "application/problem+json", ...options.headers }, body };
}

/** A reply with no body, e.g. a CORS preflight answer. */
export function emptyReply(status: number, headers: Record<string, string | string[]>): Reply {
  return { status, headers, body: "" };
}
