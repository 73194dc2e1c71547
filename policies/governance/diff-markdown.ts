/**
 * The diff report as Markdown for a pull-request comment: the verdict first, then contract
 * changes per API (breaking first), plans, products, policies and lifecycle, consumers, and the
 * synthesized artifacts that change. Sections with nothing to say are left out.
 */
import type { ContractChange } from "./breaking-changes";
import type { ApiDiff, DiffReport, FieldChange, PlanDiff, ProductDiff } from "./declaration-diff";

const AFFECTED = "⚠️ affected";

export function renderDiffMarkdown(report: DiffReport): string {
  const sections: string[] = [`## Turnpike diff: \`${report.base.ref}\` → working tree`, verdict(report)];
  const contracts = contractSection(report.apis);
  if (contracts) sections.push(contracts);
  if (report.plans.length) sections.push(`### Plans\n\n${table(["Plan", "Change", "Before", "After", "Consumers"], namedRows(report.plans))}`);
  if (report.products.length) sections.push(`### Products\n\n${table(["Product", "Change", "Before", "After", "Consumers"], namedRows(report.products))}`);
  const policyRows = report.apis.flatMap((api) => [
    ...api.lifecycle.map((change) => [code(api.id), change.field, change.base, change.head, affected(change)]),
    ...api.policies.flatMap((policy) =>
      policy.change === "changed"
        ? policy.fields.map((field) => [code(api.id), `${code(policy.policy)} ${code(policy.scope)}: ${field.field}`, field.base, field.head, policy.consumerAffecting ? AFFECTED : ""])
        : [[code(api.id), `${code(policy.policy)} ${code(policy.scope)} ${policy.change}`, "", "", policy.consumerAffecting ? AFFECTED : ""]],
    ),
  ]);
  if (policyRows.length) sections.push(`### Policies and lifecycle\n\n${table(["API", "Change", "Before", "After", "Consumers"], policyRows)}`);
  const { added, removed, changed } = report.consumers;
  if (added.length || removed.length || changed.length) {
    const lines = [
      added.length ? `- Added: ${added.map(code).join(", ")}` : undefined,
      removed.length ? `- Removed: ${removed.map(code).join(", ")}` : undefined,
      changed.length ? `- Subscriptions or credentials changed: ${changed.map(code).join(", ")}` : undefined,
    ].filter((line) => line !== undefined);
    sections.push(`### Consumers\n\n${lines.join("\n")}`);
  }
  const artifacts = report.artifacts;
  const artifactRows = [
    ...artifacts.added.map((id) => [code(id), "added"]),
    ...artifacts.changed.map((id) => [code(id), "changed"]),
    ...artifacts.removed.map((id) => [code(id), "removed"]),
  ];
  if (artifactRows.length) {
    sections.push(
      `### Synthesized artifacts\n\n${artifacts.added.length} added, ${artifacts.changed.length} changed, ${artifacts.removed.length} removed.\n\n${table(["Artifact", "Change"], artifactRows)}`,
    );
  }
  if (sections.length === 2) sections.push("No changes to APIs, plans, products, policies, consumers or synthesized artifacts.");
  return `${sections.join("\n\n")}\n`;
}

function verdict(report: DiffReport): string {
  if (report.breakingWithoutMajor.length === 0) return "✅ No breaking contract change without a new major version.";
  return `❌ **Breaking contract changes without a new major version: ${report.breakingWithoutMajor.map(code).join(", ")}.** Release them as a new major version (a new \`Api\` with the next major \`version\`, the old one deprecated), or make them compatible.`;
}

function contractSection(apis: readonly ApiDiff[]): string | undefined {
  const blocks = apis.flatMap((api) => {
    if (api.status === "added") return [`#### ${code(api.id)} added (${api.version.head})`];
    // Its callers lose it: a removal is always consumer-affecting (retire it first to give them notice).
    if (api.status === "removed") return [`#### ${code(api.id)} removed (was ${api.version.base}) · ${AFFECTED}`];
    if (api.contract.length === 0) return [];
    const breaking = api.contract.filter((change) => change.rating === "breaking").length;
    const version = api.version.base === api.version.head ? api.version.head : `${api.version.base} → ${api.version.head}`;
    const heading = `#### ${code(api.id)} ${version} · ${breaking} breaking, ${api.contract.length - breaking} non-breaking`;
    return [`${heading}\n\n${table(["Rating", "Change", "Operation", "Where", "Details"], api.contract.map(contractRow))}`];
  });
  return blocks.length ? `### Contract changes\n\n${blocks.join("\n\n")}` : undefined;
}

function contractRow(change: ContractChange): string[] {
  return [change.rating === "breaking" ? "🔴 breaking" : "🟢 non-breaking", code(change.kind), change.operation ? code(change.operation) : "", `${code(change.pointer)}${change.side === "base" ? " (base)" : ""}`, change.message];
}

function affected(change: FieldChange): string {
  return change.consumerAffecting ? AFFECTED : "";
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(" | ")} |`;
  return [line(header), `| ${header.map(() => "---").join(" | ")} |`, ...rows.map(line)].join("\n");
}

/** A table cell: one line (CR, LF and CRLF all end a Markdown line, and so a table row), pipes escaped. */
function cell(text: string): string {
  return text.replace(/\r\n|\r|\n/g, " ").replaceAll("|", "\\|");
}

/** Inline code, with a longer fence when the text has backticks. */
function code(text: string): string {
  return text.includes("`") ? `\`\` ${text} \`\`` : `\`${text}\``;
}

/** A plan's or product's rows: one per changed field, or one saying it was added or removed. */
function namedRows(items: readonly (PlanDiff | ProductDiff)[]): string[][] {
  return items.flatMap((item) =>
    item.status === "changed"
      ? item.changes.map((change) => [code(item.name), change.field, change.base, change.head, affected(change)])
      : [[code(item.name), item.status, "", "", item.consumerAffecting ? AFFECTED : ""]],
  );
}
