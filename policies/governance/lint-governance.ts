/**
 * `turnpike lint`'s governance pass over a compiled manifest: the contract rules (Redocly with
 * the shipped ruleset), the model rules, documentation coverage, then each API's waivers.
 */
import type { GatewayConfig } from "../../constructs/manifest/schema";
import { checkContractRules } from "./contract-rules";
import { type DocumentationCoverage, documentationCoverage } from "./documentation-coverage";
import { type Finding, type WaivedFinding, applyWaivers } from "./findings";
import { checkModelRules } from "./model-rules";

/** Below this documentation coverage (percent) an API gets a `documentation-coverage` warning. */
export const MINIMUM_DOCUMENTATION_COVERAGE = 80;

export interface GovernanceOptions {
  /** Project root: contract sources in the manifest are relative to it. */
  readonly root: string;
  /**
   * The date sunset dates are compared with.
   * @default the current date
   */
  readonly now?: Date;
}

export interface GovernanceReport {
  /** Findings in force (waiver-unused warnings included), in a stable order. */
  readonly findings: Finding[];
  /** Findings switched off by a waiver, with its reason. */
  readonly waived: WaivedFinding[];
  /** Documentation coverage per API, in manifest order. */
  readonly coverage: DocumentationCoverage[];
}

export async function lintGovernance(manifest: GatewayConfig, options: GovernanceOptions): Promise<GovernanceReport> {
  const today = (options.now ?? new Date()).toISOString().slice(0, 10);
  const findings: Finding[] = [];
  for (const api of manifest.spec.apis) findings.push(...(await checkContractRules(api, options.root)));
  findings.push(...checkModelRules({ manifest, today }));
  const coverage = manifest.spec.apis.map(documentationCoverage);
  for (const figure of coverage) {
    if (figure.percent >= MINIMUM_DOCUMENTATION_COVERAGE) continue;
    const api = manifest.spec.apis.find((candidate) => candidate.id === figure.api)!;
    findings.push({
      severity: "warning",
      code: "documentation-coverage",
      api: api.id,
      path: api.declaredAt,
      field: "contract",
      message: `documentation coverage is ${figure.percent}% (${figure.documented} of ${figure.total}: summaries, descriptions, parameter descriptions, body examples), below ${MINIMUM_DOCUMENTATION_COVERAGE}%`,
      file: api.contract.source ?? undefined,
    });
  }
  const outcome = applyWaivers(manifest, findings);
  return { findings: [...outcome.findings, ...outcome.unused], waived: outcome.waived, coverage };
}
