/**
 * What governance rules report: a finding is shaped like a compile `Diagnostic` (same fields,
 * so the same renderers print both), with the rule id as its `code` and the API it concerns.
 */
import type { Diagnostic } from "../../constructs/diagnostics";
import type { GatewayConfig } from "../../constructs/manifest/schema";

export interface Finding extends Omit<Diagnostic, "code"> {
  /** The rule: a Redocly rule id (`operation-summary`, `rule/operation-5xx-response`) or a model rule id (`api-owner`). */
  readonly code: string;
  /** Manifest id of the API the finding is about. */
  readonly api: string;
}

/** A finding an API switched off, with the reason it recorded. */
export interface WaivedFinding extends Finding {
  readonly waiver: string;
}

export interface WaiverOutcome {
  /** Findings still in force. */
  readonly findings: Finding[];
  /** Findings hidden by a waiver, with its reason. */
  readonly waived: WaivedFinding[];
  /** Waivers that hid nothing: stale ones should be removed, so they are reported as warnings. */
  readonly unused: Finding[];
}

/** Splits findings into those in force and those an API's `governance.waive` switched off. */
export function applyWaivers(manifest: GatewayConfig, findings: readonly Finding[]): WaiverOutcome {
  const kept: Finding[] = [];
  const waived: WaivedFinding[] = [];
  const used = new Set<string>();
  const reasons = new Map<string, string>(manifest.spec.apis.flatMap((api) => api.governance.waive.map((waiver) => [`${api.id}\u0000${waiver.rule}`, waiver.reason] as const)));
  for (const finding of findings) {
    const key = `${finding.api}\u0000${finding.code}`;
    const reason = reasons.get(key);
    if (reason === undefined) {
      kept.push(finding);
    } else {
      used.add(key);
      waived.push({ ...finding, waiver: reason });
    }
  }
  const unused: Finding[] = manifest.spec.apis.flatMap((api) =>
    api.governance.waive
      .filter((waiver) => !used.has(`${api.id}\u0000${waiver.rule}`))
      .map((waiver): Finding => ({
        severity: "warning",
        code: "waiver-unused",
        api: api.id,
        path: api.declaredAt,
        field: "governance.waive",
        message: `the waiver of "${waiver.rule}" hides no finding: the API follows the rule now, or the rule id is misspelt`,
        fix: `remove the waiver of "${waiver.rule}"`,
      })),
  );
  return { findings: kept, waived, unused };
}
