/**
 * A single-pass XML markup scanner, in the spirit of Apigee's XMLThreatProtection: it finds
 * document type declarations (the carrier of entity-expansion "billion laughs" and XXE
 * attacks) and measures element nesting. It skips comments, CDATA sections and processing
 * instructions, and reads attribute values as opaque quoted strings; it never expands or
 * even reads entities. It is not a well-formedness checker: it reports only markup it
 * cannot get past (an unterminated tag, comment or section, or more end tags than starts);
 * the upstream's parser judges the rest.
 */

export interface XmlLimits {
  /** Reject any `<!DOCTYPE` (and any other markup declaration). */
  readonly rejectDtd: boolean;
  readonly maxDepth: number;
}

export type XmlScan =
  | { readonly ok: true; readonly depth: number }
  | { readonly ok: false; readonly error: "dtd" | "depth" | "malformed"; readonly offset: number };

export function scanXml(text: string, limits: XmlLimits): XmlScan {
  let at = 0;
  let depth = 0;
  let deepest = 0;
  while (true) {
    const open = text.indexOf("<", at);
    if (open < 0) break;
    const next = text.charCodeAt(open + 1);
    let end: number;
    if (text.startsWith("!--", open + 1)) {
      end = after(text, "-->", open + 4);
    } else if (text.startsWith("![CDATA[", open + 1)) {
      end = after(text, "]]>", open + 9);
    } else if (next === 0x3f /* ? */) {
      end = after(text, "?>", open + 2);
    } else if (next === 0x21 /* ! */) {
      // <!DOCTYPE ...> (or a stray <!ENTITY, <!ELEMENT...): declarations belong to a DTD.
      if (limits.rejectDtd) return { ok: false, error: "dtd", offset: open };
      end = skipDeclaration(text, open + 2);
    } else if (next === 0x2f /* / */) {
      end = after(text, ">", open + 2);
      if (end >= 0 && --depth < 0) return { ok: false, error: "malformed", offset: open };
    } else {
      end = skipTag(text, open + 1);
      if (end >= 0 && text.charCodeAt(end - 2) !== 0x2f /* not "/>" */) {
        if (++depth > deepest) deepest = depth;
        if (depth > limits.maxDepth) return { ok: false, error: "depth", offset: open };
      }
    }
    if (end < 0) return { ok: false, error: "malformed", offset: open };
    at = end;
  }
  return { ok: true, depth: deepest };
}

/** The offset after the first `terminator` at or after `from`, or -1. */
function after(text: string, terminator: string, from: number): number {
  const found = text.indexOf(terminator, from);
  return found < 0 ? -1 : found + terminator.length;
}

/** Skips a start tag's name and attributes to just after its `>`; quoted values may hold `>` and `/`. */
function skipTag(text: string, from: number): number {
  let at = from;
  while (at < text.length) {
    const char = text.charCodeAt(at);
    if (char === 0x3e /* > */) return at + 1;
    if (char === 0x22 || char === 0x27 /* " ' */) {
      const close = text.indexOf(text[at]!, at + 1);
      if (close < 0) return -1;
      at = close + 1;
    } else {
      at++;
    }
  }
  return -1;
}

/** Skips a markup declaration, including a DOCTYPE's internal subset in `[...]`, to just after its `>`. */
function skipDeclaration(text: string, from: number): number {
  let at = from;
  let brackets = 0;
  while (at < text.length) {
    const char = text.charCodeAt(at);
    if (char === 0x22 || char === 0x27) {
      const close = text.indexOf(text[at]!, at + 1);
      if (close < 0) return -1;
      at = close + 1;
      continue;
    }
    if (char === 0x5b /* [ */) brackets++;
    else if (char === 0x5d /* ] */) brackets--;
    else if (char === 0x3e /* > */ && brackets <= 0) return at + 1;
    at++;
  }
  return -1;
}
