/**
 * HTML building with escaping by default: everything in the manifest is user content (titles,
 * descriptions, tags, plan names), so a value interpolated into {@link html} is escaped unless
 * it is already {@link SafeHtml} built by this module.
 */

/** Markup that is already safe: built by {@link html} or {@link raw}. */
export class SafeHtml {
  constructor(readonly value: string) {}

  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text escaped for element content and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character]!);
}

/** Markup trusted as is: only for text the generator itself wrote (never manifest content). */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

/** What may be interpolated: safe markup, text (escaped), numbers, lists of these; null, undefined and false render nothing. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false || value === true) return "";
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map((item: HtmlValue) => render(item)).join("");
  return escapeHtml(String(value));
}

/** Tagged template: `html\`<p>${text}</p>\`` escapes `text`; nested `html` results are kept. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((value, index) => {
    out += render(value) + strings[index + 1]!;
  });
  return new SafeHtml(out);
}

/**
 * JSON for a `<script type="application/json">` element: `<`, `>` and `&` written as
 * `\u003c`…, so a value containing `</script>` cannot end the element.
 */
export function scriptJson(value: unknown): SafeHtml {
  return raw(JSON.stringify(value).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029"));
}

/**
 * A URL from user content that may become a link: http(s) and mailto only (a `javascript:`
 * contact would run in the portal's origin). `null` when it is not one of these.
 */
export function safeLinkUrl(url: string): string | null {
  return /^(https?:\/\/|mailto:)[^\s<>"']+$/i.test(url.trim()) ? url.trim() : null;
}

/** A number as people read it in the portal: `10,000` (fixed locale, so the site is deterministic). */
export function formatNumber(value: number): string {
  return value.toLocaleString("en-US", { maximumFractionDigits: 4 });
}
