/** The safe Markdown subset the portal renders descriptions with: structure kept, no HTML, no script links. */
import { firstParagraph, inlineMarkdown, markdown } from "../../portal-site/markdown";

describe("markdown", () => {
  it("renders headings (shifted), paragraphs, lists, quotes, code and tables", () => {
    const source = [
      "Intro with `code`, **bold**, *em* and [a link](https://example.com/x?a=1&b=2).",
      "",
      "## Section",
      "",
      "- one",
      "- two",
      "  continued",
      "",
      "1. first",
      "2. second",
      "",
      "> **Note.** quoted",
      "",
      "```",
      "<b>raw</b>",
      "```",
      "",
      "| Scope | Grants |",
      "| --- | --- |",
      "| `a:read` | Reading |",
    ].join("\n");
    expect(markdown(source, 1).value).toBe(
      [
        '<p>Intro with <code>code</code>, <strong>bold</strong>, <em>em</em> and <a href="https://example.com/x?a=1&amp;b=2">a link</a>.</p>',
        "<h3>Section</h3>",
        "<ul><li>one</li><li>two continued</li></ul>",
        "<ol><li>first</li><li>second</li></ol>",
        "<blockquote><p><strong>Note.</strong> quoted</p></blockquote>",
        "<pre><code>&lt;b&gt;raw&lt;/b&gt;</code></pre>",
        '<div class="table-wrap"><table><thead><tr><th scope="col">Scope</th><th scope="col">Grants</th></tr></thead><tbody><tr><td><code>a:read</code></td><td>Reading</td></tr></tbody></table></div>',
      ].join("\n"),
    );
  });

  it("escapes HTML and drops links to other schemes", () => {
    expect(inlineMarkdown('<script>alert(1)</script> "x" & y')).toBe("&lt;script&gt;alert(1)&lt;/script&gt; &quot;x&quot; &amp; y");
    expect(inlineMarkdown("[x](javascript:alert`1`)")).not.toContain("href");
    expect(inlineMarkdown("[x](data:text/html,hi)")).toBe("x");
    expect(inlineMarkdown("[x](vbscript:msgbox)")).toBe("x");
    expect(inlineMarkdown('[x](https://a.example/"onmouseover="alert(1))')).not.toMatch(/href="[^"]*"onmouseover/);
    expect(inlineMarkdown("[docs](/docs#intro)")).toBe('<a href="/docs#intro">docs</a>');
    expect(inlineMarkdown("snake_case_name stays")).toBe("snake_case_name stays");
  });

  it("takes the first paragraph for cards", () => {
    expect(firstParagraph("# Title\n\nFirst *para*\ncontinued.\n\nSecond.").value).toBe("First <em>para</em> continued.");
  });
});
