/** Renders compile diagnostics for people (and as GitHub-friendly plain text without a TTY). */
import { styleText } from "node:util";
import type { Diagnostic } from "../constructs/index";

type Style = Parameters<typeof styleText>[0];

export function formatDiagnostics(diagnostics: readonly Diagnostic[], options: { color: boolean }): string {
  const paint = (style: Style, text: string) => (options.color ? styleText(style, text) : text);
  const blocks = diagnostics.map((diagnostic) => {
    const label = diagnostic.severity === "error" ? paint(["bold", "red"], "error") : paint(["bold", "yellow"], "warning");
    const where = diagnostic.field ? `${diagnostic.path} › ${diagnostic.field}` : diagnostic.path;
    const lines = [`${label}${paint("dim", `[${diagnostic.code}]`)} ${paint("bold", where)}`, `  ${diagnostic.message}`];
    if (diagnostic.expected !== undefined) lines.push(`  ${paint("dim", "expected:")} ${diagnostic.expected}`);
    if (diagnostic.received !== undefined) lines.push(`  ${paint("dim", "got:     ")} ${diagnostic.received}`);
    if (diagnostic.fix !== undefined) lines.push(`  ${paint("dim", "fix:     ")} ${paint("green", diagnostic.fix)}`);
    if (diagnostic.file !== undefined) {
      const position = diagnostic.line !== undefined ? `:${diagnostic.line}:${diagnostic.column ?? 1}` : "";
      lines.push(`  ${paint("dim", "at:      ")} ${diagnostic.file}${position}${diagnostic.pointer ? ` ${diagnostic.pointer}` : ""}`);
    }
    return lines.join("\n");
  });
  return blocks.join("\n\n");
}

export function summarize(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((diagnostic) => diagnostic.severity === "error").length;
  const warnings = diagnostics.length - errors;
  const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;
  return `${plural(errors, "error")}, ${plural(warnings, "warning")}`;
}
