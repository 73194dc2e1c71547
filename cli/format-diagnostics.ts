/** Renders compile diagnostics for people (and as GitHub-friendly plain text without a TTY). */
import { styleText } from "node:util";
import type { Diagnostic } from "../constructs/index";

type Style = Parameters<typeof styleText>[0];

/** A compile diagnostic, or anything shaped like one with its own codes (governance findings). */
export type DiagnosticLike = Omit<Diagnostic, "code"> & { readonly code: string };

export function formatDiagnostics(diagnostics: readonly DiagnosticLike[], options: { color: boolean }): string {
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

export function summarize(diagnostics: readonly DiagnosticLike[]): string {
  const errors = diagnostics.filter((diagnostic) => diagnostic.severity === "error").length;
  const warnings = diagnostics.length - errors;
  const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;
  return `${plural(errors, "error")}, ${plural(warnings, "warning")}`;
}

/**
 * GitHub Actions workflow commands (`::error file=…,line=…::message`): each problem becomes an
 * annotation on the pull request's diff. Problems without a file are annotated on `fallbackFile`
 * (the declaration module), so none is lost.
 */
export function formatGithubAnnotations(diagnostics: readonly DiagnosticLike[], fallbackFile: string): string {
  return diagnostics
    .map((diagnostic) => {
      const properties = [`file=${escapeProperty(diagnostic.file ?? fallbackFile)}`];
      if (diagnostic.file !== undefined && diagnostic.line !== undefined) properties.push(`line=${diagnostic.line}`, `col=${diagnostic.column ?? 1}`);
      properties.push(`title=${escapeProperty(`${diagnostic.code} (${diagnostic.path})`)}`);
      const text = [diagnostic.message, diagnostic.fix === undefined ? undefined : `fix: ${diagnostic.fix}`].filter((part) => part !== undefined).join("\n");
      return `::${diagnostic.severity === "error" ? "error" : "warning"} ${properties.join(",")}::${escapeData(text)}\n`;
    })
    .join("");
}

/** Workflow command data: `%`, CR and LF are escaped (GitHub's toolkit escaping). */
function escapeData(text: string): string {
  return text.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}

/** Workflow command properties: as data, plus `:` and `,`, which separate properties. */
function escapeProperty(text: string): string {
  return escapeData(text).replaceAll(":", "%3A").replaceAll(",", "%2C");
}
