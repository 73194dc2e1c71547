/**
 * The contract rules: every API's OpenAPI contract through Redocly's linter with the shipped
 * ruleset (`redocly.yaml` beside this file: `recommended` plus the house rules).
 */
import { join, relative } from "node:path";
import { type Config, getLineColLocation, lint, lintFromString, loadConfig } from "@redocly/openapi-core";
import type { Api } from "../../constructs/manifest/schema";
import type { Finding } from "./findings";

/** The shipped ruleset. */
export const RULESET_FILE = join(__dirname, "redocly.yaml");

let ruleset: Promise<Config> | undefined;

/** The shipped ruleset, loaded once per process (loading resolves `recommended` and compiles the configurable rules). */
export function loadRuleset(): Promise<Config> {
  ruleset ??= loadConfig({ configPath: RULESET_FILE });
  return ruleset;
}

/**
 * Lints one API's contract. A contract from a file is linted from the file, so findings carry
 * its lines (for GitHub annotations); an inline one from the bundled document in the manifest.
 */
export async function checkContractRules(api: Api, root: string): Promise<Finding[]> {
  const config = await loadRuleset();
  const problems =
    api.contract.source === null
      ? await lintFromString({ source: JSON.stringify(api.contract.document, null, 2), absoluteRef: join(root, `${api.id}.inline.json`), config })
      : await lint({ ref: join(root, api.contract.source), config });
  return problems.map((problem): Finding => {
    const location = problem.location[0];
    const start = location ? getLineColLocation(location).start : undefined;
    return {
      severity: problem.severity === "error" ? "error" : "warning",
      code: problem.ruleId,
      api: api.id,
      path: api.declaredAt,
      field: "contract",
      message: problem.message,
      fix: problem.suggest.length > 0 ? `did you mean ${problem.suggest.map((text) => `"${text}"`).join(" or ")}?` : undefined,
      file: api.contract.source === null ? undefined : location ? relative(root, location.source.absoluteRef) : api.contract.source,
      pointer: location?.pointer?.replace(/^#/, ""),
      line: api.contract.source === null ? undefined : start?.line,
      column: api.contract.source === null ? undefined : start?.col,
    };
  });
}
