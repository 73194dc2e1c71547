/**
 * The Markdown the manifest's descriptions are written in (platform, APIs, products, plans),
 * rendered safely at synth time: a small CommonMark subset (ATX headings, paragraphs, lists,
 * block quotes, fenced code, pipe tables; code spans, emphasis, links). There is no raw HTML:
 * every piece of text is escaped, and a link keeps its `href` only when it is http(s),
 * mailto or relative, so a description cannot run script in the portal's origin.
 */
import { SafeHtml, escapeHtml } from "./html";

/** A link target from user content, or `null` (`javascript:`, `data:` and other schemes). */
function safeHref(url: string): string | null {
  const trimmed = url.trim();
  if (/^(https?:\/\/|mailto:)/i.test(trimmed)) return trimmed;
  // Relative references (no scheme before the first /, ?, #).
  if (!/^[a-z][a-z0-9+.-]*:/i.test(trimmed) && !trimmed.startsWith("//")) return trimmed;
  return null;
}

const INLINE = /`([^`]+)`|\[([^\]]+)\]\(([^()\s]+)\)|\*\*(.+?)\*\*|(?<![\w*])\*(?!\s)(.+?)\*(?![\w*])|(?<![\w_])_(?!\s)(.+?)_(?![\w_])/;

/** Inline Markdown of one block, escaped. */
export function inlineMarkdown(text: string): string {
  let out = "";
  let rest = text;
  for (;;) {
    const match = INLINE.exec(rest);
    if (match === null) return out + escapeHtml(rest);
    out += escapeHtml(rest.slice(0, match.index));
    const [whole, code, label, url, strong, em1, em2] = match;
    if (code !== undefined) out += `<code>${escapeHtml(code)}</code>`;
    else if (label !== undefined && url !== undefined) {
      const href = safeHref(url);
      out += href === null ? inlineMarkdown(label) : `<a href="${escapeHtml(href)}">${inlineMarkdown(label)}</a>`;
    } else if (strong !== undefined) out += `<strong>${inlineMarkdown(strong)}</strong>`;
    else out += `<em>${inlineMarkdown((em1 ?? em2)!)}</em>`;
    rest = rest.slice(match.index + whole.length);
  }
}

const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const FENCE = /^\s*(```|~~~)/;
const QUOTE = /^\s{0,3}>\s?/;
const ITEM = /^\s{0,3}([-*+]|\d{1,9}[.)])\s+(.*)$/;
const TABLE_RULE = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;

function cells(line: string): string[] {
  return line.trim().replace(/^\|/, "").replace(/\|$/, "").split("|").map((cell) => cell.trim());
}

function startsBlock(line: string, next: string | undefined): boolean {
  return HEADING.test(line) || FENCE.test(line) || QUOTE.test(line) || ITEM.test(line) || (line.includes("|") && next !== undefined && TABLE_RULE.test(next));
}

/**
 * Renders Markdown to HTML. `headingOffset` shifts heading levels so a description's `#`
 * sits below the page's own headings (`#` becomes `h<1 + offset>`, at most `h6`).
 */
export function markdown(source: string, headingOffset = 2): SafeHtml {
  const lines = source.replace(/\r\n?/g, "\n").split("\n");
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === "") {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i]!.trim().startsWith(fence[1]!)) body.push(lines[i++]!);
      i++;
      out.push(`<pre><code>${escapeHtml(body.join("\n"))}</code></pre>`);
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      const level = Math.min(6, heading[1]!.length + headingOffset);
      out.push(`<h${level}>${inlineMarkdown(heading[2]!)}</h${level}>`);
      i++;
      continue;
    }
    if (QUOTE.test(line)) {
      const body: string[] = [];
      while (i < lines.length && QUOTE.test(lines[i]!)) body.push(lines[i++]!.replace(QUOTE, ""));
      out.push(`<blockquote>${markdown(body.join("\n"), headingOffset).value}</blockquote>`);
      continue;
    }
    if (line.includes("|") && i + 1 < lines.length && TABLE_RULE.test(lines[i + 1]!)) {
      const head = cells(line);
      i += 2;
      const rows: string[][] = [];
      while (i < lines.length && lines[i]!.includes("|") && lines[i]!.trim() !== "") rows.push(cells(lines[i++]!));
      out.push(
        `<div class="table-wrap"><table><thead><tr>${head.map((cell) => `<th scope="col">${inlineMarkdown(cell)}</th>`).join("")}</tr></thead><tbody>${rows
          .map((row) => `<tr>${head.map((_, index) => `<td>${inlineMarkdown(row[index] ?? "")}</td>`).join("")}</tr>`)
          .join("")}</tbody></table></div>`,
      );
      continue;
    }
    const item = ITEM.exec(line);
    if (item) {
      const ordered = /\d/.test(item[1]!);
      const items: string[] = [];
      while (i < lines.length) {
        const current = ITEM.exec(lines[i]!);
        if (current) {
          items.push(current[2]!);
          i++;
        } else if (lines[i]!.trim() !== "" && /^\s+/.test(lines[i]!) && items.length > 0) {
          // A continuation line of the item.
          items[items.length - 1] += ` ${lines[i++]!.trim()}`;
        } else break;
      }
      const tag = ordered ? "ol" : "ul";
      out.push(`<${tag}>${items.map((text) => `<li>${inlineMarkdown(text)}</li>`).join("")}</${tag}>`);
      continue;
    }
    const paragraph: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== "" && (paragraph.length === 0 || !startsBlock(lines[i]!, lines[i + 1]))) paragraph.push(lines[i++]!.trim());
    out.push(`<p>${inlineMarkdown(paragraph.join(" "))}</p>`);
  }
  return new SafeHtml(out.join("\n"));
}

/** The first paragraph of a Markdown text as inline HTML (catalog cards, summaries). */
export function firstParagraph(source: string): SafeHtml {
  const first = source.replace(/\r\n?/g, "\n").split(/\n\s*\n/).map((block) => block.trim()).find((block) => block !== "" && !HEADING.test(block.split("\n")[0]!)) ?? "";
  return new SafeHtml(inlineMarkdown(first.replace(/^>\s?/gm, "").replace(/\s*\n\s*/g, " ")));
}
