/**
 * Which declared response, media type and example a request gets. Clients steer the mock
 * with the `Prefer` request header the way Stoplight Prism does (`Prefer: code=404`,
 * `Prefer: example=lastPage`, or both), so requests written against Prism work here.
 */
import { isJsonMediaType } from "./encode";
import type { MockMedia, MockResponse } from "./responses";

export interface Preference {
  /** A status code such as `404`. */
  readonly code: string | null;
  /** The name of an entry of a media type's `examples`. */
  readonly example: string | null;
}

/** The `code` and `example` preferences of a `Prefer` header (RFC 7240: `a=1, b="two"`). */
export function parsePrefer(header: string | string[] | undefined): Preference {
  let code: string | null = null;
  let example: string | null = null;
  const text = Array.isArray(header) ? header.join(",") : (header ?? "");
  for (const part of text.split(/[,;]/)) {
    const match = /^\s*([A-Za-z-]+)\s*=\s*"?([^"]*)"?\s*$/.exec(part);
    if (!match) continue;
    const name = match[1]!.toLowerCase();
    if (name === "code") code = match[2]!.trim();
    else if (name === "example") example = match[2]!;
  }
  return { code, example };
}

export interface Choice {
  readonly status: number;
  readonly response: MockResponse | null;
  readonly media: MockMedia | null;
  /** The body to send (before HEAD and bodiless statuses are taken into account). */
  readonly body: Buffer | null;
}

/** Why a preference cannot be honoured: the contract does not declare what it asks for. */
export class UnmetPreference extends Error {}

/**
 * The response for a request. Without a preference: the lowest declared 2xx, else a `2XX`
 * range (as 200), else `default` (as 200, as Prism does), else the first declared one.
 */
export function chooseResponse(responses: readonly MockResponse[], preference: Preference, accept: string | undefined): Choice {
  if (preference.code !== null) {
    const code = preference.code;
    // 1xx are interim answers, never the response to a request.
    if (!/^[2-5]\d\d$/.test(code)) throw new UnmetPreference(`Prefer: code=${code} is not a final status code (200-599)`);
    const response =
      responses.find((candidate) => candidate.status === code) ??
      responses.find((candidate) => candidate.status.toUpperCase() === `${code[0]}XX`) ??
      responses.find((candidate) => candidate.status === "default");
    if (!response) throw new UnmetPreference(`the contract declares no ${code} response for this operation (declared: ${declared(responses)})`);
    return withMedia(Number(code), response, preference.example, accept);
  }
  if (preference.example !== null) {
    // The example names the response: the one that would be chosen anyway first, then the others.
    const usual = usualResponse(responses);
    const ordered = usual ? [usual, ...responses.filter((candidate) => candidate !== usual)] : responses;
    const response = ordered.find((candidate) => candidate.media.some((media) => media.examples.has(preference.example!)));
    if (!response) throw new UnmetPreference(`no response of this operation has an example named "${preference.example}" (named examples: ${exampleNames(responses)})`);
    return withMedia(statusOf(response), response, preference.example, accept);
  }
  const response = usualResponse(responses);
  if (!response) return { status: 200, response: null, media: null, body: null };
  return withMedia(statusOf(response), response, null, accept);
}

function usualResponse(responses: readonly MockResponse[]): MockResponse | undefined {
  const success = responses.filter((candidate) => /^2\d\d$/.test(candidate.status)).sort((a, b) => Number(a.status) - Number(b.status))[0];
  return success ?? responses.find((candidate) => candidate.status.toUpperCase() === "2XX") ?? responses.find((candidate) => candidate.status === "default") ?? responses[0];
}

/** The code a declared status is sent as: ranges as their first code, `default` as 200. */
function statusOf(response: MockResponse): number {
  if (/^\d\d\d$/.test(response.status)) return Number(response.status);
  if (/^[1-5]XX$/i.test(response.status)) return Number(response.status[0]) * 100;
  return 200;
}

function withMedia(status: number, response: MockResponse, example: string | null, accept: string | undefined): Choice {
  const candidates = example === null ? response.media : response.media.filter((media) => media.examples.has(example));
  if (example !== null && candidates.length === 0) throw new UnmetPreference(`the ${response.status} response has no example named "${example}" (named examples: ${exampleNames([response])})`);
  const media = chooseMedia(candidates, accept);
  const body = media === null ? null : example === null ? media.body : media.examples.get(example)!;
  return { status, response, media, body };
}

/**
 * The media type the request's `Accept` prefers among those declared (highest q, the more
 * specific range deciding for a type); when Accept is absent or matches none, the first
 * JSON one, else the first declared. It is a mock: no 406.
 */
export function chooseMedia(media: readonly MockMedia[], accept: string | undefined): MockMedia | null {
  if (media.length === 0) return null;
  // Declared order with JSON first: the order ties are broken in.
  const preferred = [...media.filter((candidate) => isJsonMediaType(candidate.type)), ...media.filter((candidate) => !isJsonMediaType(candidate.type))];
  if (!accept) return preferred[0]!;
  const ranges = parseAccept(accept);
  let best: MockMedia | null = null;
  let bestQ = 0;
  for (const candidate of preferred) {
    const q = qualityOf(candidate.type, ranges);
    if (q > bestQ) {
      best = candidate;
      bestQ = q;
    }
  }
  return best ?? preferred[0]!;
}

interface AcceptRange {
  readonly type: string;
  readonly subtype: string;
  readonly q: number;
}

function parseAccept(accept: string): AcceptRange[] {
  const ranges: AcceptRange[] = [];
  for (const part of accept.split(",")) {
    const [range, ...parameters] = part.split(";").map((piece) => piece.trim());
    const [type, subtype] = (range ?? "").toLowerCase().split("/");
    if (!type || !subtype) continue;
    const qParameter = parameters.find((parameter) => /^q=/i.test(parameter));
    const q = qParameter === undefined ? 1 : Number(qParameter.slice(2));
    ranges.push({ type, subtype, q: Number.isFinite(q) ? q : 0 });
  }
  return ranges;
}

/** The q of the most specific range that matches a media type (RFC 9110 §12.5.1); 0 when none does. */
function qualityOf(mediaType: string, ranges: readonly AcceptRange[]): number {
  const [type = "", subtype = ""] = mediaType.split(";")[0]!.trim().toLowerCase().split("/");
  let specificity = -1;
  let q = 0;
  for (const range of ranges) {
    const matches = (range.type === "*" || range.type === type || type === "*") && (range.subtype === "*" || range.subtype === subtype || subtype === "*");
    if (!matches) continue;
    const rank = (range.type === "*" ? 0 : 1) + (range.subtype === "*" ? 0 : 1);
    if (rank > specificity) {
      specificity = rank;
      q = range.q;
    }
  }
  return q;
}

function declared(responses: readonly MockResponse[]): string {
  return responses.map((response) => response.status).join(", ") || "none";
}

function exampleNames(responses: readonly MockResponse[]): string {
  const names = [...new Set(responses.flatMap((response) => response.media.flatMap((media) => [...media.examples.keys()])))];
  return names.length === 0 ? "none" : names.join(", ");
}
