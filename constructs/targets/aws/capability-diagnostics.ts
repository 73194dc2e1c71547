/** The AWS capability findings as compile diagnostics: errors and warnings on the `AwsGateway`; notes are not reported. */
import type { Diagnostic } from "../../diagnostics";
import type { GatewayConfig } from "../../manifest/schema";
import { checkAwsCapabilities } from "./capabilities";
import type { AwsTargetConfig } from "./config";

export function awsCapabilityDiagnostics(manifest: GatewayConfig, config: AwsTargetConfig): Diagnostic[] {
  return checkAwsCapabilities(manifest, config).flatMap((finding): Diagnostic[] => {
    if (finding.severity === "note") return [];
    // An unknown API id: `instance` holds the field that names it.
    if (finding.policy === "-") return [{ severity: "error", code: "invalid-props", path: config.declaredAt, field: finding.instance, message: finding.message }];
    return [
      {
        severity: finding.severity,
        code: "invalid-policy",
        path: config.declaredAt,
        field: `gatewayFallback["${finding.api}"]`,
        message: finding.message,
        fix: finding.severity === "error" ? `remove the policy, or set gatewayFallback: { "${finding.api}": "node" } to serve ${finding.api} through the Node gateway` : undefined,
      },
    ];
  });
}
